import { Construct } from "constructs";
import { Annotations, type ITerraformDependable } from "cdktf";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { HEALTH_READY_PATH, PORTS } from "../shared/constants";
import { TASK_LIFECYCLE } from "../service/task-lifecycle";
import { listenerRoutes, NOT_ROUTED, type FixedResponse } from "./listener-routes";
import { AlbAccessLogs } from "./alb-access-logs";

export interface LoadBalancerProps {
  readonly namePrefix: string;
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly publicSubnetIds: string[];
  /** Who may reach 80 and 443. @default ["0.0.0.0/0"] */
  readonly ingressCidrs: readonly string[];
  readonly region: string;
  /** Access logs to an S3 bucket kept this many days (alb-access-logs.ts). @default undefined (none) */
  readonly accessLogRetentionDays?: number;
  /** Throw-away stack: the access-log bucket is deleted with its logs. @default false */
  readonly throwAway?: boolean;
}

/**
 * Internet-facing ALB in the public subnets with Keycloak's target group. The HTTPS
 * listener comes separately (HttpsListener) because the self-signed certificate is made
 * for the ALB's own DNS name.
 */
export class LoadBalancer extends Construct {
  readonly arn: string;
  readonly arnSuffix: string;
  readonly dnsName: string;
  readonly zoneId: string;
  readonly securityGroupId: string;
  readonly targetGroupArn: string;
  readonly targetGroupArnSuffix: string;
  /** Port the target group health check uses: Keycloak's management port. */
  readonly healthCheckPort: number;
  /** The HTTP listener; it only redirects to HTTPS. */
  readonly httpListener: LbListener;
  /** Bucket of the access logs, when they are on. */
  readonly accessLogBucket?: string;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);

    const sg = new SecurityGroup(this, "sg", {
      name: `${props.namePrefix}-alb`,
      description: "Keycloak ALB: HTTPS and HTTP (redirect) in, Keycloak ports out",
      vpcId: props.vpcId,
      tags: { Name: `${props.namePrefix}-alb` },
    });
    this.securityGroupId = sg.id;
    props.ingressCidrs.forEach((cidr, i) => {
      for (const port of [443, 80]) {
        new VpcSecurityGroupIngressRule(this, `in-${port}-${i}`, {
          securityGroupId: sg.id,
          description: port === 443 ? `HTTPS from ${cidr}` : `HTTP from ${cidr}, redirected to HTTPS`,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          cidrIpv4: cidr,
        });
      }
    });
    for (const [port, what] of [
      [PORTS.http, "Keycloak HTTP"],
      [PORTS.management, "Keycloak health checks"],
    ] as const) {
      new VpcSecurityGroupEgressRule(this, `out-${port}`, {
        securityGroupId: sg.id,
        description: `${what} to the tasks in the VPC`,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        cidrIpv4: props.vpcCidr,
      });
    }

    const accessLogs = props.accessLogRetentionDays === undefined ? undefined : new AlbAccessLogs(this, "access-logs", {
      namePrefix: props.namePrefix,
      region: props.region,
      // The security group's ARN names the account; the ALB's own would make a cycle.
      accountResourceArn: sg.arn,
      retentionDays: props.accessLogRetentionDays,
      forceDestroy: props.throwAway ?? false,
    });
    this.accessLogBucket = accessLogs?.bucketName;

    const alb = new Lb(this, "alb", {
      name: `${props.namePrefix}-alb`,
      loadBalancerType: "application",
      internal: false,
      securityGroups: [sg.id],
      subnets: props.publicSubnetIds,
      dropInvalidHeaderFields: true,
      enableHttp2: true,
      idleTimeout: 60,
      tags: { Name: `${props.namePrefix}-alb` },
      ...(accessLogs && {
        accessLogs: { bucket: accessLogs.bucketName, prefix: accessLogs.prefix, enabled: true },
        // AWS tests write access when logging is turned on: the policy must be there first.
        dependsOn: [accessLogs.policy],
      }),
    });
    this.arn = alb.arn;
    this.arnSuffix = alb.arnSuffix;
    this.dnsName = alb.dnsName;
    this.zoneId = alb.zoneId;

    this.healthCheckPort = PORTS.management;
    const targetGroup = new LbTargetGroup(this, "keycloak", {
      name: `${props.namePrefix}-kc`,
      targetType: "ip",
      protocol: "HTTP",
      port: PORTS.http,
      vpcId: props.vpcId,
      // Draining, health check: the stop chain in task-lifecycle.ts depends on these timings.
      deregistrationDelay: String(TASK_LIFECYCLE.deregistrationDelaySeconds),
      // Keycloak answers 302 on / and 404 on /health on 8080; readiness lives on the management port.
      healthCheck: {
        enabled: true,
        protocol: "HTTP",
        port: String(this.healthCheckPort),
        path: HEALTH_READY_PATH,
        matcher: "200",
        interval: TASK_LIFECYCLE.targetHealthCheck.intervalSeconds,
        timeout: TASK_LIFECYCLE.targetHealthCheck.timeoutSeconds,
        healthyThreshold: TASK_LIFECYCLE.targetHealthCheck.healthyThreshold,
        unhealthyThreshold: TASK_LIFECYCLE.targetHealthCheck.unhealthyThreshold,
      },
      // Authentication sessions live on the node that started the login; stickiness keeps
      // the browser there (the ALB cannot route on AUTH_SESSION_ID's node suffix).
      stickiness: { enabled: true, type: "lb_cookie", cookieDuration: 86400 },
      tags: { Name: `${props.namePrefix}-kc` },
    });
    this.targetGroupArn = targetGroup.arn;
    this.targetGroupArnSuffix = targetGroup.arnSuffix;

    this.httpListener = new LbListener(this, "http", {
      loadBalancerArn: alb.arn,
      port: 80,
      protocol: "HTTP",
      defaultAction: [
        { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
      ],
    });
  }
}

export interface HttpsListenerProps {
  readonly loadBalancer: LoadBalancer;
  readonly certificateArn: string;
  /** ALB TLS policy. @default "ELBSecurityPolicy-TLS13-1-2-2021-06" */
  readonly tlsPolicy: string;
  /** Sources that reach the admin plane (`/admin/*`, the master realm). @default [] (nobody) */
  readonly adminAllowedCidrs: readonly string[];
  /** Forward every path from everyone, the admin plane included. @default false */
  readonly adminPublic: boolean;
  /** How the user sets `adminPublic`, for the warning while it is on. @default "adminPublic" */
  readonly adminPublicSetting?: string;
  /** Realms forwarded from everyone (`/realms/<name>/*`). @default [] */
  readonly publicRealms: readonly string[];
  /** Route53 public zone for an alias record of `hostname`. @default "" (none) */
  readonly hostedZoneId: string;
  readonly hostname: string;
}

/**
 * HTTPS listener forwarding to Keycloak, and the alias record. Closed by default: only the
 * routes of listenerRoutes are forwarded, anything else gets the ALB's own 404; `adminPublic`
 * forwards everything, as the stack did before the admin plane was closed.
 */
export class HttpsListener extends Construct {
  readonly listener: LbListener;
  /**
   * What a service behind the listener waits for: the listener and every rule (the forward
   * rules attach the target group; they wait for the refusal rules in turn).
   */
  readonly dependables: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: HttpsListenerProps) {
    super(scope, id);
    const lb = props.loadBalancer;
    const forward = { type: "forward", targetGroupArn: lb.targetGroupArn };
    const respond = (r: FixedResponse) => ({
      type: "fixed-response",
      fixedResponse: { statusCode: r.statusCode, contentType: r.contentType, messageBody: r.body },
    });
    this.listener = new LbListener(this, "https", {
      loadBalancerArn: lb.arn,
      port: 443,
      protocol: "HTTPS",
      sslPolicy: props.tlsPolicy,
      certificateArn: props.certificateArn,
      defaultAction: [props.adminPublic ? forward : respond(NOT_ROUTED)],
    });

    const rules: LbListenerRule[] = [];
    if (props.adminPublic) {
      Annotations.of(this).addWarning(
        `${this.node.path}: ${props.adminPublicSetting ?? "adminPublic"} is true: the admin console, the admin REST API and the master realm answer everyone on the internet. Set it to false and list adminAllowedCidrs and publicRealms for anything you keep.`,
      );
    } else {
      // A forward rule waits for every refusal rule: a failed or partial apply cannot leave it unguarded.
      const refusals: LbListenerRule[] = [];
      for (const route of listenerRoutes(props)) {
        const forwards = route.action === "forward";
        const rule = new LbListenerRule(this, `rule-${route.priority}`, {
          listenerArn: this.listener.arn,
          priority: route.priority,
          condition: [
            { pathPattern: { values: [...route.paths] } },
            ...(route.sourceCidrs.length > 0 ? [{ sourceIp: { values: [...route.sourceCidrs] } }] : []),
          ],
          action: [forwards ? forward : respond(route.action as FixedResponse)],
          tags: { Purpose: route.purpose },
          dependsOn: forwards ? [...refusals] : undefined,
        });
        rules.push(rule);
        if (!forwards) refusals.push(rule);
      }
    }

    this.dependables = [this.listener, ...rules];

    if (props.hostedZoneId !== "") {
      new Route53Record(this, "alias", {
        zoneId: props.hostedZoneId,
        name: props.hostname,
        type: "A",
        alias: { name: lb.dnsName, zoneId: lb.zoneId, evaluateTargetHealth: true },
      });
    }
  }
}
