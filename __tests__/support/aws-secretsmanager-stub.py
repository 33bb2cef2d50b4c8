"""Stand-in for the `aws secretsmanager` commands the database setup script uses.

Answers get-secret-value, put-secret-value and describe-secret (secrets addressed by ARN) from
one JSON file per secret in the directory named by AWS_STUB_STATE_DIR, with the AWS CLI v2's output shapes, error wording
and exit codes (254 for service errors, 252 for usage errors, 253 without a region). Every call
is appended to calls.jsonl there, so tests can see how the script called it.
"""

import datetime
import hashlib
import json
import os
import stat
import sys
import uuid

STATE_DIR = os.environ["AWS_STUB_STATE_DIR"]
OPERATIONS = {
    "get-secret-value": "GetSecretValue",
    "put-secret-value": "PutSecretValue",
    "describe-secret": "DescribeSecret",
}


def fail(code, message):
    sys.stderr.write(message + "\n")
    sys.exit(code)


def service_error(operation, error_type, message):
    fail(254, f"\nAn error occurred ({error_type}) when calling the {OPERATIONS[operation]} operation: {message}")


def parse(argv):
    if len(argv) < 2 or argv[0] != "secretsmanager" or argv[1] not in OPERATIONS:
        fail(252, f"aws stub: unsupported command: {' '.join(argv[:2])}")
    operation, options, rest = argv[1], {}, argv[2:]
    while rest:
        flag = rest.pop(0)
        if not flag.startswith("--") or not rest:
            fail(252, f"aws: error: argument {flag}: expected one argument")
        options[flag[2:]] = rest.pop(0)
    return operation, options


def secret_file(secret_id):
    return os.path.join(STATE_DIR, hashlib.sha256(secret_id.encode()).hexdigest() + ".json")


def load(operation, secret_id):
    try:
        with open(secret_file(secret_id), encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        service_error(operation, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")


def save(secret):
    path = secret_file(secret["ARN"])
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(secret, handle)
    os.replace(path + ".tmp", path)


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def current_version(secret):
    return next((v for v in secret["Versions"] if "AWSCURRENT" in v["VersionStages"]), None)


def read_secret_string(value, call):
    if not value.startswith("file://"):
        call["secretStringSource"] = "argument"
        return value
    path = value[len("file://"):]
    call["secretStringSource"] = "file"
    call["secretFileMode"] = oct(stat.S_IMODE(os.stat(path).st_mode))
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def output(options, response):
    query = options.get("query")
    if query is None:
        print(json.dumps(response, indent=4))
    elif query == "SecretString" and options.get("output") == "text":
        print(response["SecretString"])
    else:
        fail(252, f"aws stub: unsupported --query {query} / --output {options.get('output')}")


def main():
    operation, options = parse(sys.argv[1:])
    call = {"operation": operation, "secretId": options.get("secret-id"), "region": options.get("region")}
    try:
        if not options.get("region"):
            fail(253, "You must specify a region. You can also configure your region by running \"aws configure\".")
        if not options.get("secret-id"):
            fail(252, "aws: error: the following arguments are required: --secret-id")
        secret = load(operation, options["secret-id"])
        if operation == "get-secret-value":
            version = current_version(secret)
            if version is None:
                service_error(operation, "ResourceNotFoundException",
                              "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT")
            output(options, {
                "ARN": secret["ARN"], "Name": secret["Name"], "VersionId": version["VersionId"],
                "SecretString": version["SecretString"], "VersionStages": version["VersionStages"],
                "CreatedDate": version["CreatedDate"],
            })
        elif operation == "put-secret-value":
            value = read_secret_string(options["secret-string"], call)
            for version in secret["Versions"]:
                version["VersionStages"] = ["AWSPREVIOUS"] if "AWSCURRENT" in version["VersionStages"] else []
            secret["Versions"] = [v for v in secret["Versions"] if v["VersionStages"]]
            version_id = str(uuid.uuid4())
            secret["Versions"].append({"VersionId": version_id, "SecretString": value,
                                       "VersionStages": ["AWSCURRENT"], "CreatedDate": now()})
            secret["LastChangedDate"] = now()
            save(secret)
            output(options, {"ARN": secret["ARN"], "Name": secret["Name"], "VersionId": version_id,
                             "VersionStages": ["AWSCURRENT"]})
        else:
            output(options, {
                "ARN": secret["ARN"], "Name": secret["Name"], "LastChangedDate": secret["LastChangedDate"],
                "VersionIdsToStages": {v["VersionId"]: v["VersionStages"] for v in secret["Versions"]},
                "CreatedDate": secret["CreatedDate"],
            })
        call["exitCode"] = 0
    except SystemExit as exit_:
        call["exitCode"] = exit_.code
        raise
    finally:
        with open(os.path.join(STATE_DIR, "calls.jsonl"), "a", encoding="utf-8") as log:
            log.write(json.dumps(call) + "\n")


main()
