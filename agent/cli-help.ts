/**
 * Every `spa` help text, in a module that imports nothing: `spa CMD --help` prints from here
 * before the command's own modules load.
 */
export const HELP: Record<string, string> = {
  main: `spa — speaker-privacy-agent

Usage: spa <command> [options]

Commands:
  start           run the agent (what 'npm start' runs)
  config check    validate a config file and print the resolved configuration
  bridge          send one firmware event to a running agent and print its reply
  wake detect     run the wake-word engine over WAV files and print each detection
  wake enroll     make personal wake-word templates from recordings of the phrase
  voice anonymize modify the voice in a WAV file the way captures are modified
  uploads         list the upload queue (no audio); 'uploads retry' sends it now
  consent         the household's choices: list, notice, grant, withdraw
  voiceprints     the household's voiceprints: list, rename, delete
  diagnostics     prepare a redacted bundle for a fault, send it on confirmation, track its deletion
  page            the household's privacy page: a pairing code, the paired phones
  history         what the speaker keeps, and when each capture expires
  play            write a kept capture's (voice-modified) audio as WAV
  delete          delete captures: --last, --today, --all or --id ID
  export          copy what is kept (JSON + WAV) into a directory
  wipe            delete everything the household left here (factory reset)
  audit           list privacy events; 'audit verify' checks the hash chain
  policy          operator tools: keygen, sign, push a fleet policy
  fleet status    the devices' applied policy versions and compliance

Run 'spa <command> --help' for a command's options.`,
  start: `Usage: spa start [--config FILE] [--set PATH=VALUE]...

Runs the agent: capture gate, firmware bridge socket, ledger. Stops cleanly on Ctrl-C
(SIGINT) or SIGTERM, closing the microphone first.

Options:
  --config FILE       JSON config (default: $SPA_CONFIG, else built-in defaults)
  --set PATH=VALUE    override one setting, e.g. --set gate.ledAckMs=500 (repeatable)
Environment:
  SPA_<PATH>          override a setting, e.g. SPA_BRIDGE_SOCKET_PATH=/run/spa.sock`,
  consent: `Usage: spa consent [list] [--history] [--json]
       spa consent notice FEATURE
       spa consent grant FEATURE [--notice KEY] [--person NAME] [--guardian]
       spa consent withdraw FEATURE [--person NAME] [--guardian]

The household's choices about the speaker's optional features, through the running agent:
  uploads       voice-modified, de-identified uploads for the voice service
  training      uploads may be used to improve speech models
  voiceprint    a person's wake-word templates (biometric data; one consent per --person)
  diagnostics   redacted diagnostics bundles after a fault (each upload still confirmed)
  purpose:<id>  a collection purpose a fleet policy introduced (inert until granted)
Basic voice service (wake word, push-to-talk, local captures) needs none of them.

  list        every permission now: on or off, by whom, since when, against which notice;
              --history adds every change, withdrawals included
  notice      print the notice for FEATURE (its key, Chinese and English text)
  grant       record consent: without --notice KEY it prints the notice and records nothing;
              with the key of the notice the household was given it records the grant
  withdraw    withdraw consent: what it allowed stops at once (queued uploads dropped or
              untagged for training, the person's voiceprints deleted)
Options:
  --guardian          the choice is a guardian's (a child's speaker needs it to grant)
  --socket PATH | --config FILE   as for 'spa bridge'
Exit 0 when recorded (or listed), 1 when refused or nothing was recorded.`,
  diagnostics: `Usage: spa diagnostics prepare --fault ID
       spa diagnostics confirm BUNDLE --fault ID
       spa diagnostics report BUNDLE debug-complete|deleted
       spa diagnostics [list] [--json]
Options: --socket PATH | --config FILE (as for 'spa bridge')

prepare  builds a bundle for a fault — versions, behaviour settings, counters, storage health,
         privacy-event counts, the last log lines with phone numbers, e-mail, IP and MAC
         addresses, host names and device identifiers masked; never audio, never what was
         said — and lists what it holds. Nothing leaves the speaker yet.
confirm  the household's one-time confirmation, naming the fault: the bundle is sent (it needs
         the diagnostics consent: 'spa consent grant diagnostics') and the copy on the speaker
         is deleted once delivered.
report   upstream's word: debugging complete (from then the bundle must be deleted within 24
         hours, or the speaker raises an alert in its privacy record and on the fleet state
         topic), then deleted.
list     every bundle, its state and times, and whether a deletion is overdue.`,
  page: `Usage: spa page pair [--json]
       spa page sessions [--json]
       spa page sessions revoke ID|all
Options: --socket PATH | --config FILE (as for 'spa bridge')

The household's privacy page (config page.enabled) is where a phone sees, plays, exports and
deletes what the speaker keeps, mutes it and changes the household's choices. A phone pairs with
a one-time 6-digit code the speaker announces, valid 2 minutes (at most 5 codes a minute; 10
wrong tries lock pairing, for longer each time).

  pair       a new code (the speaker announces it too; it lifts a lock from wrong tries), the
             page's addresses and, over HTTPS, the certificate's SHA-256 fingerprint to compare
             with what the phone shows
  sessions   the paired phones: id, browser, paired, last used
  revoke     end a phone's session (or every one) at once; it must pair again`,
  voiceprints: `Usage: spa voiceprints [list] [--json]
       spa voiceprints rename FROM TO
       spa voiceprints delete PERSON
Options: --socket PATH | --config FILE (as for 'spa bridge')

A voiceprint is a person's wake-word templates (speech features of their enrolment takes,
never audio): biometric data, kept encrypted in the ledger under its own key and used by the
wake engine only while that person's voiceprint consent is in force. Enrol with
'spa wake enroll --person P' after 'spa consent grant voiceprint --person P'.
  list     person, keyword, number of takes, when enrolled, whether it is in use
  rename   correct a person's label (their voiceprints and consent follow)
  delete   delete a person's voiceprints irreversibly (withdrawing the consent does too)`,
  config: `Usage: spa config check FILE [--set PATH=VALUE]...

Validates FILE (plus SPA_* environment overrides and --set) and prints the resolved
configuration as JSON, or every problem with the path it is at and what is allowed.`,
  bridge: `Usage: spa bridge <event> [--socket PATH | --config FILE]

Events:
  status              print the agent's state
  mute | unmute       mute or unmute the microphone
  mute-for DURATION   mute for a while: 30m, 2h, 90s, or plain minutes (max 7 days)
  talk-down | talk-up press or release the push-to-talk button
  mode near|far       switch capture mode
  switch on|off       report the hardware mute switch position
  delete last|today|all   delete kept captures (their audio and queued uploads with them)
  training off        uploads may no longer be used to train speech models (turning it on
                      is a consent: 'spa consent grant training')
  account-bind        ask before binding a personal account (refused in hotel mode)
  guardian-hours W... a guardian's hours: windows such as 07:00-20:00 or 07:00-21:00@1-5
                      (days 0 = Sunday … 6 = Saturday; past midnight is fine: 19:00-07:00);
                      outside them the speaker is closed like a mute; 'off' lifts them

Options:
  --socket PATH       bridge socket (default: $SPA_BRIDGE_SOCKET_PATH, else bridge.socketPath
                      of --config, $SPA_CONFIG or the installed config, else ./run/bridge.sock;
                      only that setting is read, so a mute works whatever else is in the file)
  --config FILE       take the socket path from this config
Prints the agent's reply as one JSON line; exit 0 on ack, 1 on nack.`,
  wake: `Usage: spa wake detect [--engine trained|template] [--person P] [--model FILE] [--config FILE] FILE.wav...
       spa wake enroll --keyword 天猫精灵|你好天猫 --person P [--config FILE] A.wav B.wav C.wav [...]
       spa wake enroll --keyword K --person P --mic [--count 3] [--seconds 4] [--device D] [--recorder arecord]

detect: runs the wake-word engine over each file (a PCM or float WAV at any rate and channel
count: converted to the engine's 16 kHz mono first, with a note on stderr) and prints one JSON
object per line per detection: {"file": ..., "keyword": "天猫精灵", "atMs": 1234, "score": 0.81}
(atMs: where in the file the phrase was recognised). With --person P, the trained engine's
hits must also match P's voiceprint; --engine template uses the voiceprints alone (P's, or
everyone's with consent in force). Voiceprints come from the ledger of --config.
Exit 0 when every file was read.

enroll: at least 3 recordings of the phrase by household member P, each 16 kHz mono 16-bit
with 0.4-3 s of speech. P's voiceprint consent must be in force first ('spa consent grant
voiceprint --person P'). The templates (speech features only, never audio) are stored
encrypted in the ledger; a running agent uses them at once. With --mic it records the takes
itself, prompting before each; the recordings stay in memory.`,
  voice: `Usage: spa voice anonymize IN.wav OUT.wav [--alpha A] [--seed N]

Applies the McAdams voice modification that every kept capture gets before it is stored or
uploaded (VoicePrivacy B2: LPC order 20, pole angles φ → φ^α). IN is any common PCM or float
WAV (converted to the pipeline's 16 kHz mono first, with a note on stderr, as 'spa wake detect'
does); OUT is 16 kHz mono 16-bit.
Without --alpha, α is drawn uniformly from [0.5, 0.9] (by the OS CSPRNG, or reproducibly from
--seed) and not printed: like the agent, the tool does not reveal it.`,
  uploads: `Usage: spa uploads [--config FILE] [--json]
       spa uploads retry [--config FILE]

Lists the de-identified uploads waiting to be sent (upload id, capture time to the minute,
trigger, attempts, next attempt, last error) from the ledger; never audio.
retry: makes every queued upload due now. With the agent running it is told over the bridge
and sends at once; otherwise the queue is sent when the agent next starts.`,
};

export const LEDGER_HELP: Record<string, string> = {
  history: `Usage: spa history [--config FILE] [--json]

What the speaker keeps: one line per capture with its id, when it was captured, trigger,
duration, upload state and when it expires. Never audio. Expired captures are purged first.`,
  play: `Usage: spa play ID [--out FILE] [--config FILE]

Writes the stored (voice-modified) audio of capture ID as a WAV file to FILE, or to stdout
when it is not a terminal (e.g. 'spa play 12 | aplay').`,
  delete: `Usage: spa delete (--last | --today | --all | --id ID) [--config FILE]

Deletes captures: their encrypted audio, keys, queued uploads and exported copies. Anything
already uploaded gets a deletion request to the upload endpoint (one per upload). With the
agent running, last/today/all go through it (so a capture still being processed is covered).`,
  export: `Usage: spa export --out DIR [--config FILE]

Copies what is kept into DIR (new or empty): captures.json (what 'spa history' lists),
settings.json, audit.json and audio/capture-<id>.wav. The WAV copies expire with the captures.`,
  wipe: `Usage: spa wipe --yes [--config FILE]

Deletes everything the household left on the speaker, as on account cancellation or factory
reset: captures, audio, keys, upload queue, settings, the household's choices and their
history, exported copies, personal wake-word templates and the privacy history (a new audit
chain starts). Uploads and training use then stay off until the household chooses again (not
the config's default). Uploaded captures get deletion requests. Mute and mode stay as they
are. Stop the agent first.`,
  audit: `Usage: spa audit [--limit N] [--json] [--config FILE]
       spa audit verify [--config FILE]

Lists the privacy events (mute, unmute, mode, sessions, uploads, purges, deletions, exports,
wipes) — causes and counts, never audio or identifiers. 'verify' checks the SHA-256 hash chain
and says where it breaks (exit 1 if it does).`,
};

export const POLICY_HELP: Record<string, string> = {
  policy: `Usage: spa policy keygen --out DIR
       spa policy sign --key PRIVATE.pem --version N [--issued-at ISO] POLICY.json > ENVELOPE.json
       spa policy push --broker URL (--fleet F | --device ID) [--force] [connection options] ENVELOPE.json
       spa policy checkout --key PRIVATE.pem --device ID --broker URL [--seq N] [connection options]

keygen: a new Ed25519 key pair: DIR/policy-key.pem (private, mode 0600) and DIR/policy-key.pub.pem,
and prints the key id to put with the public key in each device's policy.trustedKeys.
sign:   checks POLICY.json against the policy schema and prints the signed envelope
        {policy, version, issuedAt, keyId, sig}. Versions must increase: devices refuse replays.
push:   publishes the envelope, retained, to <prefix>/fleet/F/policy or <prefix>/device/ID/policy.
        It first reads what the topic holds: an envelope of the same or a newer version is not
        replaced (exit 1, saying which version is there) unless --force; the same envelope
        again is a no-op.
checkout: a hotel's check-out for the speaker in one room (device ID, in hotel mode): signs
        {command: "checkout", device: ID} with sequence N (default: now in ms; each must be
        higher than the last) and publishes it, retained, to <prefix>/device/ID/checkout. The
        speaker wipes everything a guest may have left (captures, templates, choices, history)
        once, and reports it as lastCheckout on its state topic.

Connection options (push, checkout, fleet status):
  --ca FILE  --username U  --password-file FILE  --cert FILE  --key-file FILE
  --prefix P (default spa/v1)  --mqtt-version 5|4 (default 5)`,
  fleet: `Usage: spa fleet status --broker URL [--fleet F] [--wait MS] [--json] [connection options]

Reads the devices' retained state and online topics and prints a table: device, online,
applied version, status, last rejection, captures kept, oldest kept (days), purged, false
wakes. --fleet lists only the devices that follow that fleet's policy topic; --wait is how long
to collect retained messages (default 1500 ms). Connection options as for 'spa policy push'.`,
};
