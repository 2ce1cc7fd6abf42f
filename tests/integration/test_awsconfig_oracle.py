#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""botocore as the oracle for common/awsconfig: profile selection, shared files, static keys.

For each scenario (environment variables and files under a temporary HOME) this asks
botocore, in this process, which credentials, provider method and region it resolves,
then runs resolve-creds (argv[1]) with the same environment and asserts that it agrees:

  * credentials found by botocore: same provider, key id, secret and token digests;
  * none found (botocore returns None): resolve-creds reports ECD_EAUTH;
  * botocore raises ProfileNotFound, PartialCredentialsError or ConfigParseError:
    resolve-creds reports ECD_ECONFIG with a matching message;
  * botocore would use a provider this build does not have (assume role, web identity,
    SSO, login, credential_process): ECD_ECONFIG naming the setting.  Those providers
    are stubbed here so that botocore never calls STS or runs a process.
  * region: botocore's (which ignores AWS_REGION) with AWS_REGION unset; and, for the
    scenarios that set AWS_REGION, our documented order (AWS_REGION first).

Nothing can reach the network: IMDS is disabled and stubbed, the container provider
is stubbed and its variables are unset, and the environment is replaced for every
call.  Output is TAP.  Usage: test_awsconfig_oracle.py /path/to/resolve-creds
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import botocore.credentials as bc
    import botocore.exceptions as be
    import botocore.session
except ImportError:
    print("1..0 # SKIP botocore is not installed")
    sys.exit(1 if os.environ.get("CI") == "true" else 0)

AK = "AKIAIOSFODNN7EXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOK = "FQoGZXIvYXdzEBYaDOracleSessionToken0123456789"
ROLE = "arn:aws:iam::123456789012:role/oracle"


def keys(ak, sk, extra=""):
    return "aws_access_key_id = %s\naws_secret_access_key = %s\n%s" % (ak, sk, extra)


ENV_KEYS = {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "envsecret"}
DEV_CREDS = "[dev]\n" + keys("AKIDCRED", "credsecret")
DEV_CONFIG = "[profile dev]\n" + keys("AKIDCONF", "confsecret", "region = eu-west-1\n")

# name, env, files (path relative to HOME -> text), extra argv for resolve-creds
SCENARIOS = [
    ("nothing configured", {}, {}, []),
    ("env keys only", ENV_KEYS, {}, []),
    ("env keys with AWS_SESSION_TOKEN", dict(ENV_KEYS, AWS_SESSION_TOKEN=TOK), {}, []),
    ("env: AWS_SECURITY_TOKEN before AWS_SESSION_TOKEN",
     dict(ENV_KEYS, AWS_SECURITY_TOKEN="legacy", AWS_SESSION_TOKEN=TOK), {}, []),
    ("env: empty AWS_SECURITY_TOKEN is absent",
     dict(ENV_KEYS, AWS_SECURITY_TOKEN="", AWS_SESSION_TOKEN=TOK), {}, []),
    ("env with AWS_CREDENTIAL_EXPIRATION",
     dict(ENV_KEYS, AWS_CREDENTIAL_EXPIRATION="2099-01-15T13:00:00Z"), {}, []),
    ("env: AWS_CREDENTIAL_EXPIRATION with an offset",
     dict(ENV_KEYS, AWS_CREDENTIAL_EXPIRATION="2099-01-15T15:00:00+02:00"), {}, []),
    ("env: AWS_CREDENTIAL_EXPIRATION without a zone fails (botocore: TypeError)",
     dict(ENV_KEYS, AWS_CREDENTIAL_EXPIRATION="2099-01-15T13:00:00"), {}, []),
    ("env: AWS_CREDENTIAL_EXPIRATION that is no time",
     dict(ENV_KEYS, AWS_CREDENTIAL_EXPIRATION="soon"), {}, []),
    ("env beats AWS_PROFILE's keys", dict(ENV_KEYS, AWS_PROFILE="dev"),
     {".aws/credentials": DEV_CREDS, ".aws/config": DEV_CONFIG}, []),
    ("empty AWS_ACCESS_KEY_ID falls through to the files",
     {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "x"},
     {".aws/credentials": "[default]\n" + keys(AK, SK)}, []),
    ("partial env: key id without secret", {"AWS_ACCESS_KEY_ID": "AKIDENV"},
     {".aws/credentials": "[default]\n" + keys(AK, SK)}, []),
    ("AWS_DEFAULT_PROFILE before AWS_PROFILE",
     {"AWS_PROFILE": "dev", "AWS_DEFAULT_PROFILE": "other"},
     {".aws/credentials": DEV_CREDS + "[other]\n" + keys("AKIDOTHER", "o"),
      ".aws/config": DEV_CONFIG}, []),
    ("AWS_PROFILE selects the profile", {"AWS_PROFILE": "dev"},
     {".aws/credentials": "[default]\n" + keys(AK, SK) + DEV_CREDS}, []),
    ("credentials-file keys beat config-file keys", {"AWS_PROFILE": "dev"},
     {".aws/credentials": DEV_CREDS, ".aws/config": DEV_CONFIG}, []),
    ("config-file keys", {"AWS_PROFILE": "dev"}, {".aws/config": DEV_CONFIG}, []),
    ("bare [dev] in config is not a profile", {"AWS_PROFILE": "dev"},
     {".aws/config": "[dev]\n" + keys(AK, SK)}, []),
    ("[profile dev] wins over bare [dev] in config", {"AWS_PROFILE": "dev"},
     {".aws/config": "[dev]\n" + keys("AKIDBARE", "b") + DEV_CONFIG}, []),
    ("[profile dev] in the credentials file is 'profile dev'", {"AWS_PROFILE": "profile dev"},
     {".aws/credentials": "[profile dev]\n" + keys(AK, SK)}, []),
    ("missing AWS_PROFILE profile, even with env keys", dict(ENV_KEYS, AWS_PROFILE="nope"),
     {".aws/credentials": DEV_CREDS}, []),
    ("AWS_PROFILE=default without a default profile", {"AWS_PROFILE": "default"}, {}, []),
    ("empty AWS_PROFILE: region from [profile \"\"], keys from default", {"AWS_PROFILE": ""},
     {".aws/config": "[profile \"\"]\nregion = r-empty\n[default]\nregion = r-default\n",
      ".aws/credentials": "[default]\n" + keys(AK, SK)}, []),
    ("partial keys in the credentials file", {},
     {".aws/credentials": "[default]\naws_access_key_id = %s\n" % AK}, []),
    ("partial keys in the config file", {},
     {".aws/config": "[default]\naws_access_key_id = %s\n" % AK}, []),
    ("region from AWS_DEFAULT_REGION over the profile", {"AWS_DEFAULT_REGION": "us-east-2"},
     {".aws/config": "[default]\nregion = eu-central-1\n" + keys(AK, SK)}, []),
    ("region from the profile", {"AWS_PROFILE": "dev"},
     {".aws/credentials": DEV_CREDS, ".aws/config": DEV_CONFIG}, []),
    ("region in the credentials file over the config file", {"AWS_PROFILE": "dev"},
     {".aws/credentials": DEV_CREDS + "region = us-west-2\n", ".aws/config": DEV_CONFIG}, []),
    ("comments, ':' delimiter, case, nested blocks, continuation lines", {},
     {".aws/credentials": "# leading comment\n; another\n[default]\n"
                          "AWS_Access_Key_ID: %s\n"
                          "  # indented comment\n"
                          "aws_secret_access_key = %s ; kept\n"
                          "s3 =\n  addressing_style = path\n\n  signature_version = s3v4\n"
                          "note = first\n   second line\n" % (AK, SK),
      ".aws/config": "[default]\nregion = ap-southeast-2\n"
                     "s3 =\n    addressing_style = virtual\n"}, []),
    ("session token in the credentials file", {},
     {".aws/credentials": "[default]\n" + keys(AK, SK, "aws_session_token = %s\n" % TOK)}, []),
    ("aws_security_token before aws_session_token", {},
     {".aws/credentials": "[default]\n" + keys(AK, SK, "aws_session_token = %s\n"
                                                       "aws_security_token = legacy\n" % TOK)},
     []),
    ("present but empty aws_security_token", {},
     {".aws/credentials": "[default]\n" + keys(AK, SK, "aws_security_token =\n"
                                                       "aws_session_token = %s\n" % TOK)}, []),
    ("[profile \"spaced name\"]", {"AWS_PROFILE": "spaced name"},
     {".aws/config": "[profile \"spaced name\"]\n" + keys(AK, SK, "region = sa-east-1\n")}, []),
    ("duplicate section is a parse error", {},
     {".aws/credentials": "[default]\n" + keys(AK, SK) + "[other]\n[default]\n"}, []),
    ("duplicate key is a parse error", {},
     {".aws/credentials": "[default]\n" + keys(AK, SK) + "AWS_ACCESS_KEY_ID = x\n"}, []),
    ("parse error in config fails even env keys", ENV_KEYS,
     {".aws/config": "[default]\nthis is not a key\n"}, []),
    ("key before any section", {}, {".aws/credentials": keys(AK, SK)}, []),
    ("bad nested block", {}, {".aws/config": "[default]\ns3 =\n  path\n"}, []),
    ("custom paths via AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE",
     {"AWS_SHARED_CREDENTIALS_FILE": "$HOME/custom/creds", "AWS_CONFIG_FILE": "${HOME}/custom/conf",
      "AWS_PROFILE": "x"},
     {"custom/creds": "[x]\n" + keys("AKIDCUSTOM", "c"),
      "custom/conf": "[profile x]\nregion = ap-south-1\n",
      ".aws/credentials": "[x]\n" + keys("AKIDDEFAULTPATH", "d")}, []),
    ("HOME-relative paths with ~", {"AWS_CONFIG_FILE": "~/cfg/config", "AWS_PROFILE": "x"},
     {"cfg/config": "[profile x]\n" + keys("AKIDTILDE", "t", "region = ca-central-1\n")}, []),
    ("empty AWS_SHARED_CREDENTIALS_FILE means no file", {"AWS_SHARED_CREDENTIALS_FILE": ""},
     {".aws/credentials": "[default]\n" + keys(AK, SK)}, []),
    ("[DEFAULT] in the credentials file backs every section", {"AWS_PROFILE": "x"},
     {".aws/credentials": "[DEFAULT]\n" + keys(AK, SK) + "[x]\nregion = eu-north-1\n"}, []),
    ("[DEFAULT] in the config file", {},
     {".aws/config": "[DEFAULT]\n" + keys(AK, SK) + "[default]\nregion = eu-west-3\n"}, []),
    ("[default] then [profile default]: the later one wins whole", {},
     {".aws/config": "[default]\n" + keys(AK, SK) + "[profile default]\nregion = me-south-1\n"},
     []),
    ("KELVIN SIGN lower-cases to k; CRLF lines", {},
     {".aws/credentials": "[default]\r\naws_access_\u212aey_id = %s\r\n"
                          "aws_secret_access_key = %s\r\n" % (AK, SK)}, []),
    ("empty key id in the file still counts", {},
     {".aws/credentials": "[default]\naws_access_key_id =\naws_secret_access_key = %s\n" % SK},
     []),
    ("role_arn beats shared-credentials keys (assume role)", {"AWS_PROFILE": "dev"},
     {".aws/credentials": DEV_CREDS,
      ".aws/config": "[profile dev]\nrole_arn = %s\nsource_profile = dev\n" % ROLE}, []),
    ("env keys beat role_arn", dict(ENV_KEYS, AWS_PROFILE="dev"),
     {".aws/config": "[profile dev]\nrole_arn = %s\ncredential_source = Environment\n" % ROLE},
     []),
    ("AWS_WEB_IDENTITY_TOKEN_FILE beats shared keys",
     {"AWS_WEB_IDENTITY_TOKEN_FILE": "/nonexistent/token", "AWS_ROLE_ARN": ROLE},
     {".aws/credentials": "[default]\n" + keys(AK, SK)}, []),
    ("empty AWS_WEB_IDENTITY_TOKEN_FILE hides the profile's",
     {"AWS_PROFILE": "dev", "AWS_WEB_IDENTITY_TOKEN_FILE": ""},
     {".aws/credentials": DEV_CREDS,
      ".aws/config": "[profile dev]\nrole_arn = %s\nweb_identity_token_file = /t\n" % ROLE}, []),
    ("web_identity_token_file claims a role_arn profile", {"AWS_PROFILE": "dev"},
     {".aws/credentials": DEV_CREDS,
      ".aws/config": "[profile dev]\nrole_arn = %s\nweb_identity_token_file = /t\n" % ROLE}, []),
    ("sso profile", {"AWS_PROFILE": "dev"},
     {".aws/credentials": DEV_CREDS,
      ".aws/config": "[profile dev]\nsso_account_id = 123456789012\nsso_role_name = r\n"
                     "sso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n"}, []),
    ("shared keys beat credential_process", {"AWS_PROFILE": "dev"},
     {".aws/credentials": DEV_CREDS,
      ".aws/config": "[profile dev]\ncredential_process = /bin/false\n"}, []),
    ("credential_process beats config-file keys", {"AWS_PROFILE": "dev"},
     {".aws/config": "[profile dev]\ncredential_process = /bin/false\n" + keys(AK, SK)}, []),
    ("profile override ignores env keys", ENV_KEYS,
     {".aws/credentials": DEV_CREDS}, ["--profile", "dev"]),
    ("profile override beats AWS_PROFILE", {"AWS_PROFILE": "other"},
     {".aws/credentials": DEV_CREDS + "[other]\n" + keys("AKIDOTHER", "o")},
     ["--profile", "dev"]),
    ("missing profile override", {}, {".aws/credentials": DEV_CREDS}, ["--profile", "nope"]),
    ("AWS_REGION first (ours), botocore ignores it",
     {"AWS_REGION": "ap-northeast-1", "AWS_DEFAULT_REGION": "us-east-2"},
     {".aws/credentials": "[default]\n" + keys(AK, SK),
      ".aws/config": "[default]\nregion = eu-central-1\n"}, []),
    ("AWS_REGION over the profile region (ours)", {"AWS_REGION": "af-south-1"},
     {".aws/config": "[default]\nregion = eu-central-1\n" + keys(AK, SK)}, []),
    ("empty AWS_REGION is skipped", {"AWS_REGION": ""},
     {".aws/config": "[default]\nregion = eu-central-1\n" + keys(AK, SK)}, []),
]

# Documented differences: botocore returns an empty AWS_DEFAULT_REGION as the region;
# we skip empty values and go on to the profile.
OWN_REGION = [
    ("empty AWS_DEFAULT_REGION is skipped (ours)", {"AWS_DEFAULT_REGION": ""},
     {".aws/config": "[default]\nregion = eu-central-1\n" + keys(AK, SK)}, [], "eu-central-1"),
]


# Configured endpoints (botocore's ConfiguredEndpointProvider, with the ignore flag and
# the FIPS / dual-stack flags it reads beside it), against resolve-creds --endpoint.
SVC = ("[services corp]\n"
       "ecr =\n  endpoint_url = http://ecr.corp.test:5000\n"
       "ECR_Public =\n  endpoint_url = http://ecr-public.corp.test\n"
       "sts =\n  endpoint_url = https://sts.corp.test/base\n")
CORP = "[default]\nservices = corp\n" + SVC
# name, env, files, botocore client name
ENDPOINT_SCENARIOS = [
    ("nothing configured", {}, {}, "ecr"),
    ("services section: sts", {}, {".aws/config": CORP}, "sts"),
    ("services section: ecr", {}, {".aws/config": CORP}, "ecr"),
    ("services section: ecr-public (key in any case)", {}, {".aws/config": CORP}, "ecr-public"),
    ("AWS_ENDPOINT_URL_ECR beats the services section",
     {"AWS_ENDPOINT_URL_ECR": "http://env-ecr.test"}, {".aws/config": CORP}, "ecr"),
    ("AWS_ENDPOINT_URL_ECR_PUBLIC", {"AWS_ENDPOINT_URL_ECR_PUBLIC": "http://env-pub.test",
                                     "AWS_ENDPOINT_URL_ECR": "http://env-ecr.test"}, {},
     "ecr-public"),
    ("AWS_ENDPOINT_URL beats the services section", {"AWS_ENDPOINT_URL": "http://env-all.test"},
     {".aws/config": CORP}, "sts"),
    ("AWS_ENDPOINT_URL_STS beats AWS_ENDPOINT_URL",
     {"AWS_ENDPOINT_URL": "http://env-all.test", "AWS_ENDPOINT_URL_STS": "http://env-sts.test"},
     {}, "sts"),
    ("empty AWS_ENDPOINT_URL_ECR falls through", {"AWS_ENDPOINT_URL_ECR": ""},
     {".aws/config": CORP}, "ecr"),
    ("services section beats the profile's endpoint_url", {},
     {".aws/config": "[default]\nservices = corp\nendpoint_url = http://global.test\n" + SVC},
     "sts"),
    ("profile endpoint_url when the section lacks the service", {},
     {".aws/config": "[default]\nservices = corp\nendpoint_url = http://global.test\n"
                     "[services corp]\nsts =\n  endpoint_url = http://sts.test\n"}, "ecr"),
    ("empty endpoint_url in the block falls through to the profile's", {},
     {".aws/config": "[default]\nservices = corp\nendpoint_url = http://global.test\n"
                     "[services corp]\necr =\n  endpoint_url =\n  other = x\n"}, "ecr"),
    ("two endpoint_url lines in a block: the later wins", {},
     {".aws/config": "[default]\nservices = corp\n[services corp]\necr =\n"
                     "  endpoint_url = http://first.test\n  endpoint_url = http://second.test\n"},
     "ecr"),
    ("global endpoint_url alone", {},
     {".aws/config": "[default]\nendpoint_url = http://global.test:83\n"}, "sts"),
    ("endpoint_url and services from the credentials file profile", {"AWS_PROFILE": "c"},
     {".aws/config": SVC, ".aws/credentials": "[c]\nservices = corp\n"}, "ecr"),
    ("AWS_PROFILE picks whose services section", {"AWS_PROFILE": "p2"},
     {".aws/config": "[default]\nservices = corp\n[profile p2]\nservices = other\n" + SVC +
                     "[services other]\necr =\n  endpoint_url = http://other.test\n"}, "ecr"),
    ("quoted section name; the later of two sections wins whole", {},
     {".aws/config": "[default]\nservices = my corp\n"
                     "[services \"my corp\"]\necr =\n  endpoint_url = http://first.test\n"
                     "[services  'my corp']\nsts =\n  endpoint_url = http://second.test\n"},
     "ecr"),
    ("[DEFAULT] settings fill an empty services section", {},
     {".aws/config": "[DEFAULT]\nsts =\n  endpoint_url = http://dflt.test\n"
                     "[default]\nservices = corp\n[services corp]\n"}, "sts"),
    ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true ignores every step",
     {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE", "AWS_ENDPOINT_URL_ECR": "http://x.test"},
     {".aws/config": "[default]\nservices = corp\nendpoint_url = http://g.test\n" + SVC}, "ecr"),
    ("ignore_configured_endpoint_urls = true in the profile", {},
     {".aws/config": "[default]\nservices = corp\nignore_configured_endpoint_urls = true\n" +
                     SVC}, "sts"),
    ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false beats the profile's true",
     {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"},
     {".aws/config": "[default]\nservices = corp\nignore_configured_endpoint_urls = true\n" +
                     SVC}, "sts"),
    ("ignore flag hides a missing services section", {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
     {".aws/config": "[default]\nservices = nope\n"}, "ecr"),
    ("missing services section (ecr)", {}, {".aws/config": "[default]\nservices = nope\n" + SVC},
     "ecr"),
    ("missing services section (sts)", {}, {".aws/config": "[default]\nservices = nope\n"},
     "sts"),
    ("missing services section, no config file at all", {"AWS_PROFILE": "c"},
     {".aws/credentials": "[c]\nservices = corp\n"}, "sts"),
    ("services section without settings", {},
     {".aws/config": "[default]\nservices = corp\n[services corp]\n"}, "ecr"),
    ("missing services section not looked at: AWS_ENDPOINT_URL_STS set",
     {"AWS_ENDPOINT_URL_STS": "http://env-sts.test"}, {".aws/config": "[default]\nservices = nope\n"},
     "sts"),
    ("malformed nested block in the services section", {},
     {".aws/config": "[default]\nservices = corp\n[services corp]\necr =\n  endpoint_url\n"},
     "ecr"),
    ("service entry that is a single value", {},
     {".aws/config": "[default]\nservices = corp\n[services corp]\necr = http://x.test\n"},
     "ecr"),
    ("services setting that is a nested block", {},
     {".aws/config": "[default]\nservices =\n  a = b\n" + SVC}, "ecr"),
    ("use_fips_endpoint and use_dualstack_endpoint in the profile", {},
     {".aws/config": "[default]\nuse_fips_endpoint = True\nuse_dualstack_endpoint = true\n"},
     "ecr"),
    ("AWS_USE_FIPS_ENDPOINT=false beats the profile; empty variable is false",
     {"AWS_USE_FIPS_ENDPOINT": "false", "AWS_USE_DUALSTACK_ENDPOINT": ""},
     {".aws/config": "[default]\nuse_fips_endpoint = true\nuse_dualstack_endpoint = true\n"},
     "ecr"),
]


def ask_botocore_endpoint(env, client_name):
    """('endpoint', url or None, fips, dualstack) or ('error', class name)."""
    from botocore.configprovider import ConfiguredEndpointProvider
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        session = botocore.session.Session()
        fips = bool(session.get_config_variable("use_fips_endpoint"))
        dual = bool(session.get_config_variable("use_dualstack_endpoint"))
        url = None
        if not session.get_config_variable("ignore_configured_endpoint_urls"):
            url = ConfiguredEndpointProvider(
                full_config=session.full_config, scoped_config=session.get_scoped_config(),
                client_name=client_name).provide()
        return ("endpoint", url or None, fips, dual)
    except Exception as e:  # noqa: BLE001 - the class is the answer
        return ("error", type(e).__name__)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def endpoint_checks(tool, top, results):
    for i, (name, env, files, client) in enumerate(ENDPOINT_SCENARIOS):
        home = os.path.join(top, "e%d" % i)
        os.makedirs(os.path.join(home, ".aws"))
        for rel, text in files.items():
            with open(os.path.join(home, rel), "w", encoding="utf-8") as f:
                f.write(text)
        full = base_env(home, env)
        boto = ask_botocore_endpoint(full, client)
        rc, out, err = run_tool(tool, full, ["--endpoint", client.replace("-", "_")])
        if boto[0] == "endpoint":
            want = "endpoint=%s fips=%d dualstack=%d" % (boto[1] or "none", boto[2], boto[3])
            ok = rc == 0 and out == want
        else:
            want = "error=ECD_ECONFIG (botocore: %s)" % boto[1]
            ok = rc != 0 and out.startswith("error=ECD_ECONFIG ") and home in out
        results.append((ok, "endpoint %s: agrees with botocore" % name,
                        ["botocore: %r" % (boto,), "want: %s" % want,
                         "resolve-creds: %s" % out] + (["stderr: %s" % err] if err else [])))


class WouldUse(Exception):
    """A provider this build does not implement was selected."""

    def __init__(self, method):
        super().__init__(method)
        self.method = method


def stub_providers():
    """Keep botocore's selection logic, stop it before it does network or process work."""

    def raise_for(method):
        def stub(self, *args, **kwargs):
            raise WouldUse(method)
        return stub

    def selected_means(cls, method):
        orig = cls.load

        def load(self):
            try:
                got = orig(self)
            except WouldUse:
                raise
            except Exception:
                raise WouldUse(method)
            if got is not None:
                raise WouldUse(method)
            return None
        cls.load = load

    bc.AssumeRoleProvider._load_creds_via_assume_role = raise_for("assume-role")
    bc.FileWebIdentityTokenLoader.__init__ = raise_for("assume-role-with-web-identity")
    bc.ProcessProvider._retrieve_credentials_using = raise_for("custom-process")
    selected_means(bc.SSOProvider, "sso")
    selected_means(bc.LoginProvider, "login")
    bc.ContainerProvider.load = lambda self: None
    bc.InstanceMetadataProvider.load = lambda self: None


UNSUPPORTED_WORDS = {
    "assume-role": "role_arn",
    "assume-role-with-web-identity": "web_identity_token_file",
    "sso": "sso_",
    "login": "login_session",
    "custom-process": "credential_process",
}


def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()


def base_env(home, env):
    e = {"HOME": home, "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
         "LANG": "C.UTF-8", "AWS_EC2_METADATA_DISABLED": "true",
         "BOTO_CONFIG": os.path.join(home, "no-boto-config")}
    e.update(env)
    return e


def ask_botocore(env, argv):
    """Return (kind, detail): ('creds', (method, ak, sk, token)), ('none', None),
    ('unsupported', method) or ('error', exception class name); and the region result."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    profile = argv[argv.index("--profile") + 1] if "--profile" in argv else None
    try:
        try:
            session = botocore.session.Session(profile=profile)
            creds = session.get_credentials()
            if creds is None:
                result = ("none", None)
            else:
                frozen = creds.get_frozen_credentials()
                result = ("creds", (creds.method, frozen.access_key, frozen.secret_key,
                                    frozen.token))
        except WouldUse as w:
            result = ("unsupported", w.method)
        except Exception as e:  # ProfileNotFound, PartialCredentialsError, ConfigParseError...
            result = ("error", type(e).__name__)
        # Region as botocore sees it, with AWS_REGION out of the way (it ignores it).
        os.environ.pop("AWS_REGION", None)
        try:
            region = botocore.session.Session(profile=profile).get_config_variable("region")
            region = ("region", region or None)
        except (be.ProfileNotFound, be.ConfigParseError) as e:
            region = ("error", type(e).__name__)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return result, region


def run_tool(tool, env, argv, region_only=False):
    args = [tool] + argv + (["--region"] if region_only else [])
    p = subprocess.run(args, env=env, capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


def parse_line(out):
    fields = {}
    for part in out.split(" "):
        if "=" in part:
            k, v = part.split("=", 1)
            fields[k] = v
    return fields


def check_creds(result, rc, out, home):
    """Empty string when resolve-creds agrees with botocore, else what differs."""
    kind, detail = result
    if kind == "creds":
        method, ak, sk, token = detail
        want = "provider=%s access_key_id=%s secret_sha256=%s token_sha256=%s" % (
            method, ak, sha(sk), sha(token) if token else "none")
        got = out.rsplit(" region=", 1)[0]
        return "" if rc == 0 and got == want else "want %r" % want
    if not out.startswith("error=") or rc == 0:
        return "want an error line"
    status, _, message = out[len("error="):].partition(" ")
    if kind == "none":
        return "" if status == "ECD_EAUTH" else "want ECD_EAUTH (botocore found none)"
    if status != "ECD_ECONFIG":
        return "want ECD_ECONFIG"
    if kind == "unsupported":
        word = UNSUPPORTED_WORDS[detail]
        ok = word in message and "does not support" in message
        if detail == "assume-role-with-web-identity":
            ok = ok or "AWS_WEB_IDENTITY_TOKEN_FILE" in message
        return "" if ok else "want a message naming %s" % word
    words = {"ProfileNotFound": "not found", "PartialCredentialsError": "partial credentials",
             "ConfigParseError": home + "/"}.get(detail, "")
    return "" if words in message else "want a message with %r for %s" % (words, detail)


def main():
    if len(sys.argv) != 2:
        print("usage: test_awsconfig_oracle.py /path/to/resolve-creds", file=sys.stderr)
        return 2
    tool = sys.argv[1]
    stub_providers()
    results = []  # (ok, description, diagnostics)
    top = tempfile.mkdtemp(prefix="awsconfig-oracle-", dir=os.environ.get("ECD_TEST_BUILDDIR"))
    try:
        cases = [(s, None) for s in SCENARIOS] + [(s[:4], s[4]) for s in OWN_REGION]
        for i, ((name, env, files, argv), own_region) in enumerate(cases):
            home = os.path.join(top, "h%d" % i)
            os.makedirs(os.path.join(home, ".aws"))
            for rel, text in files.items():
                path = os.path.join(home, rel)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8", newline="") as f:
                    f.write(text)
            full = base_env(home, env)
            result, region = ask_botocore(full, argv)
            rc, out, err = run_tool(tool, full, argv)
            diag = ["botocore: %r %r" % (result, region), "resolve-creds: %s" % out]
            if err:
                diag.append("stderr: %s" % err)
            if own_region is None:
                why = check_creds(result, rc, out, home)
                results.append((not why, "%s: credentials agree with botocore" % name,
                                diag + ([why] if why else [])))
            # Region only means something once the files parsed and the profile exists
            # (awsconfig_load fails otherwise, like botocore's credential resolver).
            if result[0] == "error" and result[1] in ("ProfileNotFound", "ConfigParseError"):
                continue
            rrc, rout, rerr = run_tool(tool, full, argv, region_only=True)
            if own_region is not None:
                want = "region=%s" % own_region
                desc = "%s: region is our documented %s" % (name, own_region)
            elif full.get("AWS_REGION"):
                want = "region=%s" % full["AWS_REGION"]
                desc = "%s: AWS_REGION comes first" % name
            else:
                if region[0] != "region":
                    results.append((False, "%s: botocore region failed" % name, diag))
                    continue
                want = "region=%s" % (region[1] or "none")
                desc = "%s: region agrees with botocore" % name
            results.append((rrc == 0 and rout == want, desc,
                            diag + ["want %s, got %s %s" % (want, rout, rerr)]))
            # With AWS_REGION set, also check that the rest still follows botocore.
            if full.get("AWS_REGION"):
                env2 = dict(full)
                del env2["AWS_REGION"]
                rrc, rout, _ = run_tool(tool, env2, argv, region_only=True)
                want = "region=%s" % (region[1] or "none")
                results.append((rrc == 0 and rout == want,
                                "%s: without AWS_REGION, region agrees with botocore" % name,
                                diag + ["want %s, got %s" % (want, rout)]))
        endpoint_checks(tool, top, results)
    finally:
        shutil.rmtree(top, ignore_errors=True)

    print("1..%d" % len(results))
    failed = 0
    for n, (ok, desc, diag) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", n, desc))
        if not ok:
            failed += 1
            for d in diag:
                print("#   " + d.replace("\n", "\n#   "))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
