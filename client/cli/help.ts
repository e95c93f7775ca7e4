import { DEFAULTS } from "../index";
import { DEFAULT_RETRY } from "../retry";
import { defaultStateDir } from "../transfer/upload";

export const HELP = `sfstore: put, get, list, copy, move and remove files in a signed-file-store

  sfstore put FILE KEY          upload FILE as KEY (in parallel parts above --multipart-threshold; resumable);
                                storage checks every byte against its CRC64NVME
  sfstore get KEY [FILE]        download KEY to FILE (default: the key's last segment; into FILE when it is
                                a directory), checking the bytes against the store's checksum
  sfstore share KEY             print a read URL for KEY that anyone holding it can open until it expires
  sfstore stat KEY              print KEY's size, ETag, version, type, date and checksum, without a download
  sfstore ls [PREFIX]           list the keys under PREFIX (default: the root), and as PRE lines the
                                prefixes one level down; -r for every level, -l for size and date too
  sfstore cp SRC DEST           copy SRC to DEST inside the store (no bytes pass through this machine)
  sfstore mv SRC DEST           copy SRC to DEST, then delete SRC
  sfstore rm KEY...             delete the keys (many at once, 1000 to a request; exit 1 if any was refused)
  sfstore rm -r PREFIX          delete every key under PREFIX, after asking (--yes to skip the question)
  sfstore rm --purge KEY...     delete every version of the keys for good and have the CDN forget them, so
                                links shared earlier stop working (-r --purge PREFIX for a whole prefix)
  sfstore versions KEY          list KEY's versions, newest first, delete markers as "deleted"
  sfstore restore KEY VERSION   make VERSION the current version of KEY again (also after a delete)
  sfstore token --sub NAME      print a token from the local stack's development issuer (--auth jwt)
  sfstore --version             print the version of sfstore itself

Options (each also read from SFS_<NAME>, e.g. SFS_API_URL, but for --version, --purge, -r, -l and -y):
  --api-url URL              the API (function URL); default http://127.0.0.1:3000 (the local stack)
  --token JWT                send a bearer token (auth mode jwt)
  --iam                      sign with AWS SigV4 (auth mode iam); credentials from the AWS default chain
  --region REGION            for --iam when the URL does not name it (default AWS_REGION)
  --content-type TYPE        put: the object's Content-Type (default from KEY's extension)
  --filename NAME            put: file name downloads are saved as (default FILE's name)
  --inline                   put: let browsers show the file rather than save it
  --if-absent                put: fail with 412 rather than replace an existing object
  --multipart-threshold N    put: bytes from which parts are used (default ${DEFAULTS.multipartThreshold})
  --part-size N              put: bytes per part, 5MiB to 5GiB (default: what the API offers)
  --concurrency N            put: parts in flight (default ${DEFAULTS.concurrency})
  --retries N                tries per request on network errors and 5xx (default ${DEFAULT_RETRY.attempts})
  --state-dir DIR            put: where interrupted uploads are remembered (default ${defaultStateDir()})
  --expires TIME             share: how long the URL works, in seconds or as 90s, 15m, 12h, 1d, 7d
                             (default and limit: the deployment's); token: how long the token lives
  --download NAME            share: the file name the download is saved as
  --version V                get, stat, cp: that version of the key (sfstore versions KEY lists them)
  --purge                    rm: every version, for good, and the CDN's copies
  --sub NAME, --scope LIST   token: the subject, and scopes like read,write,delete,purge
  --issuer-url URL           token: the development issuer (default http://127.0.0.1:3002)
  -r, --recursive            ls: every level below PREFIX; rm: every key under PREFIX
  -l, --long                 ls: size in bytes and date (UTC) before each key
  -y, --yes                  rm -r: delete without asking (needed when stdin is not a terminal)
  --progress / --no-progress show a progress bar (default: when stderr is a terminal)
  --json                     print the result, or the error, as one JSON document on stdout

Paths are relative to the directory sfstore was started from (with \`npm run sfs\`, the one npm ran in).
A key or version ID that begins with "-" goes after "--": sfstore rm -- -draft.txt. (sfstore restore KEY -V
takes its version ID whole.)
Exit codes: 0 done, 1 refused or failed (the reason on stderr), 2 bad command line.
`;
