import { Construct } from "constructs";
import { Annotations, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { settingLabel, type KeycloakConfig } from "./config";
import { KEYCLOAK_VERSION } from "./shared/constants";
import { Network } from "./network/network";
import { LoadBalancer, HttpsListener } from "./edge/load-balancer";
import { Waf } from "./edge/waf";
import { Certificate, SELF_SIGNED_EARLY_RENEWAL_HOURS, selfSignedRenewalNotice } from "./edge/certificate";
import { KeycloakSecrets } from "./access/secrets";
import { Database } from "./database/database";
import { Bastion } from "./access/bastion";
import { DatabaseSetup } from "./database/setup";
import { Registry } from "./image/registry";
import { KeycloakImage } from "./image/image";
import { KeycloakService } from "./service/keycloak-service";
import { ServiceAutoscaling } from "./service/autoscaling";
import { Monitoring } from "./monitoring/monitoring";
import { instanceMemoryGib, maxConnections } from "./database/database-capacity";

/** Highly available Keycloak on ECS Fargate: reads top to bottom like the architecture diagram. */
export class KeycloakStack extends TerraformStack {
  constructor(scope: Construct, id: string, config: KeycloakConfig) {
    super(scope, id);
    const prefix = config.namePrefix;
    this.configureProviders(config);

    const network = new Network(this, "network", { ...config, namePrefix: prefix });

    const loadBalancer = new LoadBalancer(this, "load-balancer", {
      namePrefix: prefix,
      vpcId: network.vpcId,
      vpcCidr: network.vpcCidr,
      publicSubnetIds: network.publicSubnetIds,
      ingressCidrs: config.albIngressCidrs,
      region: config.region,
      accessLogRetentionDays: config.albAccessLogs ? config.albAccessLogRetentionDays : undefined,
      throwAway: config.throwAway,
    });
    const hostname = config.hostname !== "" ? config.hostname : loadBalancer.dnsName;
    const certificate = new Certificate(this, "certificate", {
      namePrefix: prefix,
      hostname,
      hostedZoneId: config.hostedZoneId,
    });
    const https = new HttpsListener(this, "https", {
      loadBalancer,
      certificateArn: certificate.certificateArn,
      tlsPolicy: config.tlsPolicy,
      adminAllowedCidrs: config.adminAllowedCidrs,
      adminPublic: config.adminPublic,
      adminPublicSetting: settingLabel("adminPublic"),
      publicRealms: config.publicRealms,
      hostedZoneId: config.hostedZoneId,
      hostname,
    });
    if (config.wafEnabled) {
      new Waf(this, "waf", {
        namePrefix: prefix,
        loadBalancerArn: loadBalancer.arn,
        tokenRateLimit: config.wafTokenRateLimit,
        loginActionsRateLimit: config.wafLoginActionsRateLimit,
        logRetentionDays: config.logRetentionDays,
      });
    }

    const secrets = new KeycloakSecrets(this, "secrets", { namePrefix: prefix, bootstrapAdmin: config.bootstrapAdmin });
    const adminSecretArns = secrets.adminSecretArn === undefined ? [] : [secrets.adminSecretArn];
    const database = new Database(this, "database", {
      namePrefix: prefix,
      vpcId: network.vpcId,
      privateSubnetIds: network.privateSubnetIds,
      mysqlVersion: config.mysqlVersion,
      instanceClass: config.dbInstanceClass,
      allocatedStorageGb: config.dbAllocatedStorageGb,
      maxAllocatedStorageGb: config.dbMaxAllocatedStorageGb,
      multiAz: config.dbMultiAz,
      backupRetentionDays: config.dbBackupRetentionDays,
      backupWindow: config.dbBackupWindow,
      maintenanceWindow: config.dbMaintenanceWindow,
      throwAway: config.throwAway,
      privateZoneName: config.privateZoneName,
      logRetentionDays: config.logRetentionDays,
    });

    const bastion = new Bastion(this, "bastion", {
      namePrefix: prefix,
      vpcId: network.vpcId,
      publicSubnetIds: network.publicSubnetIds,
      allowedCidrs: config.bastionAllowedCidrs,
      allowedCidrsSetting: settingLabel("bastionAllowedCidrs"),
      instanceType: config.bastionInstanceType,
      amiId: config.bastionAmiId,
      readableSecretArns: [database.masterSecretArn],
      writableSecretArns: [secrets.dbUserSecretArn, ...adminSecretArns],
    });
    const bastionToDb = [
      bastion.allowTo("mysql", database.securityGroupId, database.port, "MySQL to the Keycloak database"),
      database.allowFrom("bastion", bastion.securityGroupId, "MySQL from the bastion (database setup)"),
    ];

    const databaseSetup = new DatabaseSetup(this, "database-setup", {
      region: config.region,
      bastionHost: bastion.publicIp,
      bastionUser: bastion.sshUser,
      bastionPrivateKeyPem: bastion.privateKeyPem,
      dbHost: database.address,
      dbPort: database.port,
      masterSecretArn: database.masterSecretArn,
      userSecretArn: secrets.dbUserSecretArn,
      adminSecretArn: secrets.adminSecretArn,
      dependsOn: [...database.dependables, bastion.instance, ...bastionToDb],
    });

    const registry = new Registry(this, "registry", {
      namePrefix: prefix,
      keepImages: config.ecrKeepImages,
      forceDelete: config.throwAway,
    });
    const image = new KeycloakImage(this, "image", {
      imageUri: config.imageUri,
      repositoryUrl: registry.repositoryUrl,
      region: config.region,
      cpuArchitecture: config.cpuArchitecture,
      baseImageDigest: config.baseImageDigest,
    });

    const keycloak = new KeycloakService(this, "keycloak", {
      namePrefix: prefix,
      region: config.region,
      vpcId: network.vpcId,
      vpcCidr: network.vpcCidr,
      // The ALB's nodes live in the public subnets; forwarding headers from anywhere else are ignored.
      trustedProxyCidrs: config.publicSubnetCidrs,
      subnetIds: network.taskSubnetIds,
      assignPublicIp: network.tasksNeedPublicIp,
      albSecurityGroupId: loadBalancer.securityGroupId,
      targetGroupArn: loadBalancer.targetGroupArn,
      imageUri: image.imageUri,
      // A prebuilt imageUri in private ECR: the service derives its repository from the URI.
      pullRepositoryArn: config.imageUri === "" ? registry.repositoryArn : undefined,
      hostname,
      hostnameAdmin: config.hostnameAdmin,
      dbHost: database.address,
      dbPort: database.port,
      dbSecurityGroupId: database.securityGroupId,
      dbUserSecretArn: secrets.dbUserSecretArn,
      adminSecretArn: secrets.adminSecretArn,
      cpu: config.taskCpu,
      memory: config.taskMemory,
      cpuArchitecture: config.cpuArchitecture,
      desiredCount: config.desiredCount,
      healthCheckGracePeriodSeconds: config.healthCheckGracePeriodSeconds,
      dbPoolMaxSize: config.dbPoolMaxSize,
      logRetentionDays: config.logRetentionDays,
      dependsOn: [databaseSetup.resource, ...https.dependables, ...(image.build ? [image.build] : []), ...network.taskPrerequisites],
    });
    database.allowFrom("keycloak", keycloak.securityGroupId, "MySQL from the Keycloak tasks");
    const autoscaling = new ServiceAutoscaling(this, "autoscaling", {
      namePrefix: prefix,
      clusterName: keycloak.clusterName,
      serviceName: keycloak.serviceName,
      loadBalancerArnSuffix: loadBalancer.arnSuffix,
      targetGroupArnSuffix: loadBalancer.targetGroupArnSuffix,
      minCount: config.desiredCount,
      maxCount: config.maxCount,
      cpuTargetPercent: config.cpuTargetPercent,
      requestsPerTarget: config.requestsPerTarget,
    });

    const monitoring = new Monitoring(this, "monitoring", {
      namePrefix: prefix,
      region: config.region,
      alarmEmails: config.alarmEmails,
      accountResourceArn: network.vpcArn,
      countHeldBy: [autoscaling.target],
      resources: {
        loadBalancerArnSuffix: loadBalancer.arnSuffix,
        targetGroupArnSuffix: loadBalancer.targetGroupArnSuffix,
        clusterName: keycloak.clusterName,
        serviceName: keycloak.serviceName,
        dbInstanceIdentifier: database.instanceIdentifier,
        certificateArn: certificate.certificateArn,
      },
      thresholds: {
        desiredCount: config.desiredCount,
        http5xxPerMinute: config.alarm5xxPerMinute,
        responseTimeP99Seconds: config.alarmResponseTimeP99Seconds,
        utilizationPercent: config.alarmUtilizationPercent,
        cpuTargetPercent: config.cpuTargetPercent,
        dbFreeStorageGb: config.alarmDbFreeStorageGb,
        dbFreeMemoryMb: config.alarmDbFreeMemoryMb,
        dbConnectionsPercent: config.alarmDbConnectionsPercent,
        clusterSplitMinutes: config.alarmClusterSplitMinutes,
        taskStartSeconds: config.healthCheckGracePeriodSeconds,
        dbMaxConnections: maxConnections(instanceMemoryGib(config.dbInstanceClass)!),
        // The self-signed certificate's renewal window opens then; ACM renews its own 60 days ahead.
        certificateDays: SELF_SIGNED_EARLY_RENEWAL_HOURS / 24,
      },
    });

    const output = (id: string, value: string, description: string, sensitive = false) =>
      new TerraformOutput(this, id, { value, description, sensitive });
    output("keycloak_url", `https://${hostname}`, "Keycloak");
    output("admin_console_url", `https://${hostname}/admin/master/console/`, "Keycloak admin console");
    output("certificate_expires_at", certificate.expiresAt, "When the HTTPS certificate expires (a self-signed one is renewed only by an apply in its last 30 days)");
    output("alarm_topic_arn", monitoring.topicArn, "SNS topic of every alarm: subscribe your pager or chat here");
    output("dashboard_url", `https://${config.region}.console.aws.amazon.com/cloudwatch/home?region=${config.region}#dashboards/dashboard/${monitoring.dashboardName}`, "CloudWatch dashboard of the alarms");
    output("alb_dns_name", loadBalancer.dnsName, "DNS name of the load balancer");
    if (loadBalancer.accessLogBucket !== undefined) {
      output("alb_access_log_bucket", loadBalancer.accessLogBucket, "S3 bucket of the ALB's access logs");
    }
    output("bastion_public_ip", bastion.publicIp, "Public IP of the bastion");
    output(
      "bastion_ssh_command",
      `terraform output -raw bastion_private_key > bastion.pem && chmod 600 bastion.pem && ssh -i bastion.pem ${bastion.sshUser}@${bastion.publicIp}`,
      "How to SSH to the bastion",
    );
    output("bastion_ci_access_security_group_id", bastion.ciAccessSecurityGroupId, "Empty security group on the bastion; the deploy workflow opens SSH to its runner there for one run");
    output("bastion_private_key", bastion.privateKeyPem, "Private key of the bastion (sensitive)", true);
    output("db_endpoint", database.address, "RDS endpoint");
    output("db_private_name", database.hostName, "Private DNS name of the database");
    output("db_master_secret_arn", database.masterSecretArn, "RDS-managed master credentials");
    output("keycloak_db_secret_arn", secrets.dbUserSecretArn, "Keycloak database user credentials");
    if (secrets.adminSecretArn !== undefined) {
      output("keycloak_admin_secret_arn", secrets.adminSecretArn, "Keycloak bootstrap admin credentials");
    }
    output("keycloak_permanent_admin_secret_arn", secrets.permanentAdminSecretArn, "Keycloak permanent admin credentials (tools/permanent-admin.sh)");
    output("ecr_repository_url", registry.repositoryUrl, "ECR repository of the Keycloak image");
    output("keycloak_image", image.imageUri, "Image the service runs");
    output("ecs_cluster_name", keycloak.clusterName, "ECS cluster");
    output("ecs_service_name", keycloak.serviceName, "ECS service");
    output("keycloak_log_group", keycloak.logGroupName, "CloudWatch log group of Keycloak");

    this.warnAboutCertificate(id, config, certificate);
    if (config.profile === "prod" && config.bootstrapAdmin) {
      Annotations.of(this).addWarning(
        `${id}: ${settingLabel("bootstrapAdmin")} is on: every task starts with the temporary bootstrap admin's password. ` +
          `Once tools/permanent-admin.sh has made a permanent admin, set it to false and apply (README: Permanent admin).`,
      );
    }
    if (config.bastionAllowedCidrs.length === 0) {
      Annotations.of(this).addWarning(
        `${id}: ${settingLabel("bastionAllowedCidrs")} is empty: synth is fine for review, but plan and deploy stop until it names the deploying machine's address.`,
      );
    }
  }

  /** A self-signed certificate is the original's design, but it has a life nobody watches. */
  private warnAboutCertificate(id: string, config: KeycloakConfig, certificate: Certificate): void {
    if (certificate.publiclyTrusted) return;
    Annotations.of(this).addWarning(selfSignedRenewalNotice(id, new Date()));
    if (config.profile === "prod") {
      Annotations.of(this).addWarning(
        `${id}: the prod profile serves a self-signed certificate, so every browser and client must be told to trust it. ` +
          `For a publicly trusted certificate that ACM renews by itself, set ${settingLabel("hostname")} ` +
          `and ${settingLabel("hostedZoneId")}.`,
      );
    }
  }

  private configureProviders(config: KeycloakConfig): void {
    new AwsProvider(this, "aws", {
      region: config.region,
      defaultTags: [
        {
          tags: {
            Project: "keycloak-ha-fargate",
            Environment: config.environment,
            KeycloakVersion: KEYCLOAK_VERSION,
            ManagedBy: "cdktf",
          },
        },
      ],
    });
    new TlsProvider(this, "tls");
    new NullProvider(this, "null");
    if (config.stateBucket !== "") {
      const backend = new S3Backend(this, {
        bucket: config.stateBucket,
        key: `keycloak/${config.environment}.tfstate`,
        region: config.stateRegion,
        encrypt: true,
      });
      // Terraform >= 1.10 locks state with a lock file in the bucket; no DynamoDB table needed.
      backend.addOverride("use_lockfile", true);
    }
  }
}
