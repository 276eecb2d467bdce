# Sourced by the twin's boot scripts, as extra/usr/bin/helper-functions.sh in the BuilderNet
# image. log prints one line to stdout, which the units send to the journal and the serial
# console. Twin departure: the real `log` also writes to journald tag operator-api-pipe for
# the Operator API's /logs; the twin has no Operator API.
# Never pass a secret to log: nothing here redacts.
log() {
  printf '%s\n' "$*"
}
