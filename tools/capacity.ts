/**
 * npm run capacity: the task count and size, maxCount, database class and pool, and monthly
 * cost that serve a demand, and the settings block to paste (tools/capacity-model.ts).
 */
import { PROFILES, type Profile } from "../modules/config/values";
import { FIGURE_SETS, type FigureSet } from "../modules/service/capacity-figures";
import { capacityPlan, capacityReport, CapacityError, type Demand } from "./capacity-model";

const USAGE = `usage: npm run capacity -- --logins-per-second N [--refreshes-per-second M] [--client-credentials-per-second K]
                          [--profile ${PROFILES.join("|")}] [--figures ${Object.keys(FIGURE_SETS).join("|")}] [--environment NAME]

  --logins-per-second N               password logins (authorization code flow) a second at peak
  --refreshes-per-second M            refresh-token requests a second
  --client-credentials-per-second K   client credentials grants a second
  --profile                           the settings' profile (default prod)
  --figures                           ours: measured on our stand (default); keycloak: Keycloak's sizing guide
  --environment NAME                  the key of the printed settings block (default: the profile)
Rates default to 0; at least one must be above 0. Exit: 0 done; 1 nothing we offer serves it; 2 bad usage.`;

export interface CapacityArgs {
  readonly demand: Demand;
  readonly profile: Profile;
  readonly figures: FigureSet;
  readonly environment?: string;
}

export function parseArgs(argv: readonly string[]): CapacityArgs {
  const rates = { "--logins-per-second": 0, "--refreshes-per-second": 0, "--client-credentials-per-second": 0 };
  let profile: Profile = "prod";
  let figures: FigureSet = "ours";
  let environment: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`option '${flag}' needs a value`);
    i++;
    if (flag in rates) {
      const n = Number(value);
      if (value.trim() === "" || !Number.isFinite(n) || n < 0) throw new UsageError(`${flag}: got '${value}'; allowed: a number >= 0`);
      rates[flag as keyof typeof rates] = n;
    } else if (flag === "--profile") {
      if (!(PROFILES as readonly string[]).includes(value)) throw new UsageError(`--profile: got '${value}'; allowed: ${PROFILES.join(", ")}`);
      profile = value as Profile;
    } else if (flag === "--figures") {
      if (!(value in FIGURE_SETS)) throw new UsageError(`--figures: got '${value}'; allowed: ${Object.keys(FIGURE_SETS).join(", ")}`);
      figures = value as FigureSet;
    } else if (flag === "--environment") environment = value;
    else throw new UsageError(`unknown option '${flag}'`);
  }
  const demand = {
    loginsPerSecond: rates["--logins-per-second"],
    refreshesPerSecond: rates["--refreshes-per-second"],
    clientCredentialsPerSecond: rates["--client-credentials-per-second"],
  };
  return { demand, profile, figures, environment };
}

export class UsageError extends Error {}

function main(argv: string[]): number {
  if (argv.includes("--help") || argv.length === 0) {
    console.log(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  try {
    const args = parseArgs(argv);
    console.log(capacityReport(capacityPlan(args.demand, args.figures, args.profile), args.environment));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${e.message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof CapacityError) {
      console.error(`capacity: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
