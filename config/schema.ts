/**
 * The one source of truth for configuration: types, defaults, ranges and docs all come from
 * this zod schema (docs/configuration.md's reference table is generated from it: `npm run config:docs`).
 * Objects are strict: an unknown key is an error, not silently ignored.
 */
import { DEFAULT_SOCKET_PATH, DEFAULT_TOPIC_PREFIX } from "./defaults.ts";
import { brokerUrlProblem } from "./broker-url.ts";
import { isIP } from "node:net";
import { resolve } from "node:path";
import { z } from "zod";

const int = (min: number, max: number, def: number, doc: string) => z.number().int().min(min).max(max).default(def).describe(doc);

export const AudioConfig = z
  .object({
    source: z
      .enum(["auto", "mic", "file"])
      .default("auto")
      .describe("auto: the microphone when audio.device is set and the recorder is installed, else the file (demo)"),
    recorder: z.enum(["arecord", "sox", "rec"]).default("arecord").describe("recorder program node-record-lpcm16 runs"),
    device: z.string().min(1).nullable().default(null).describe('ALSA capture device for arecord -D (e.g. "plughw:0,0"); null = none configured'),
    closeTimeoutMs: int(10, 5000, 200, "after SIGTERM, wait this long for the recorder to exit before SIGKILL"),
    file: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe("16 kHz mono s16 WAV replayed when there is no mic; null = the bundled demo recording (a guest room's in the hotel profile)"),
    pacing: z.enum(["realtime", "unpaced"]).default("realtime").describe("file source: replay in real time, or as fast as it is consumed"),
    loop: z.boolean().default(true).describe("file source: start again at the end"),
  })
  .strict();

export const WakeConfig = z
  .object({
    engine: z
      .enum(["trained", "template", "porcupine", "none"])
      .default("trained")
      .describe(
        "wake-word engine: trained = the bundled speaker-independent detector; template = the household's voiceprints (with consent in force) alone; porcupine = Picovoice (licensed); none = far-field off, only push-to-talk",
      ),
    fallback: z.enum(["trained", "none"]).default("trained").describe("engine used when the configured one fails to start (none = push-to-talk only)"),
    model: z.string().min(1).nullable().default(null).describe("trained engine: weights file; null = the bundled agent/wake/models/trained.json"),
    keywords: z
      .array(z.enum(["天猫精灵", "你好天猫"]))
      .min(1)
      .default(["天猫精灵", "你好天猫"])
      .describe("wake words the household uses; a fleet policy may narrow this list, never extend it"),
    templates: z
      .object({
        dir: z
          .string()
          .min(1)
          .nullable()
          .default(null)
          .describe(
            "where template folders were kept before voiceprints moved into the ledger: one found here is moved in (encrypted) once at start and deleted; null = <dataDir>/wake-templates",
          ),
        secondStage: z
          .boolean()
          .default(false)
          .describe(
            "trained engine: a wake also needs the household's voiceprints (those with consent in force) to agree (fewer false wakes); with none, the trained engine decides alone",
          ),
      })
      .strict()
      .prefault({}),
    porcupine: z
      .object({
        tianmaoJinglingPath: z.string().min(1).nullable().default(null).describe("porcupine: .ppn file for 天猫精灵 (Mandarin, from Picovoice Console)"),
        nihaoTianmaoPath: z.string().min(1).nullable().default(null).describe("porcupine: .ppn file for 你好天猫"),
        modelPath: z.string().min(1).nullable().default(null).describe("porcupine: Mandarin model porcupine_params_zh.pv"),
        sensitivity: z.number().min(0).max(1).default(0.5).describe("porcupine: 0..1, higher = fewer misses, more false wakes"),
        accessKeyFile: z
          .string()
          .min(1)
          .nullable()
          .default(null)
          .describe("porcupine: file holding the AccessKey (else $SPA_PICOVOICE_ACCESS_KEY); the key itself never goes in config"),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const GateConfigSchema = z
  .object({
    ledAckMs: int(50, 5000, 300, 'firmware must acknowledge the "listening" LED within this, or the session is discarded'),
    trailingSilenceMs: int(200, 5000, 800, "far-field: this much silence after speech ends the session"),
    falseWakeWindowMs: int(500, 10000, 2000, "far-field: a wake with less than minSpeechMs of speech within this is a false wake (discarded)"),
    minSpeechMs: int(32, 2000, 160, "far-field: speech needed after a wake for the session to count"),
    maxSessionSeconds: int(2, 120, 30, "hard cap on any session, in seconds of audio"),
    maxHoldSeconds: int(1, 300, 60, "push-to-talk: longest capture while the button is held"),
    retryMs: int(100, 60000, 2000, "first retry after a failure (doubles per consecutive failure, max 60 s)"),
    vadAggressiveness: int(0, 3, 2, "WebRTC VAD mode: 0 least to 3 most aggressive at calling audio non-speech"),
  })
  .strict();

export const BridgeConfig = z
  .object({
    socketPath: z.string().min(1).default(DEFAULT_SOCKET_PATH).describe("Unix socket the firmware connects to"),
    socketMode: z
      .string()
      .regex(/^0?[0-7]{3}$/, "an octal file mode such as 0660")
      .default("0660")
      .describe("permissions of the socket file (owner and group may connect)"),
    maxClients: int(
      2,
      1000,
      64,
      "connections held at once; a new one beyond this sheds the idlest (first those that never said hello), so a mute always gets in",
    ),
    evdev: z
      .object({
        device: z.string().min(1).nullable().default(null).describe("gpio-keys input device, e.g. /dev/input/event0; null = none"),
        muteKey: int(1, 767, 248, "key code of the mute button (KEY_MICMUTE = 248)"),
        talkKey: int(1, 767, 582, "key code of the push-to-talk button (KEY_VOICECOMMAND = 582)"),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const SimulatorConfig = z
  .object({
    enabled: z.boolean().default(false).describe("run the firmware simulator in-process (demo): it acknowledges LEDs and prints what firmware would do"),
    ackDelayMs: int(0, 5000, 20, "simulated firmware: delay before acknowledging an LED"),
  })
  .strict();

export const StatusConfig = z
  .object({
    enabled: z.boolean().default(true).describe("print the live status on stdout"),
    intervalMs: int(200, 60000, 2000, "status heartbeat while capturing"),
  })
  .strict();

export const HotelConfig = z
  .object({
    commandModel: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe(
        "hotel: the command recogniser (a model written by `npm run train:commands -- --catalogue FILE --out FILE`; it carries its catalogue's ids and texts); null: the bundled one for config/hotel-commands.json",
      ),
  })
  .strict();

export const PageConfig = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe("serve the household's privacy page (state, what is kept, play, delete, export, choices, privacy record) from the speaker"),
    bind: z
      .string()
      .min(1)
      .refine((b) => b === "localhost" || isIP(b) !== 0, { message: "must be an IP address (127.0.0.1, 192.168.1.20, 0.0.0.0, ::) or localhost" })
      .default("127.0.0.1")
      .describe(
        "address the page listens on: loopback (the default) reaches only the speaker itself; a LAN address or 0.0.0.0 serves phones on the home network, always over HTTPS with a certificate the speaker makes on first use",
      ),
    port: int(0, 65535, 8080, "TCP port of the page (0: any free port, printed at start)"),
    https: z.enum(["auto", "always"]).default("auto").describe("auto: HTTPS when bound beyond loopback, plain HTTP on loopback; always: HTTPS on loopback too"),
    sessionDays: int(1, 365, 30, "a paired phone's session ends after this many days unused"),
  })
  .strict();

export const LogConfig = z
  .object({
    level: z.enum(["debug", "info", "warn", "error"]).default("info").describe("stderr log level"),
    json: z.boolean().default(false).describe("log JSON lines instead of text"),
  })
  .strict();

export const PolicyConfig = z
  .object({
    trustedKeys: z
      .array(
        z
          .object({
            keyId: z.string().regex(/^[0-9a-f]{16}$/, "16 hex digits (spa policy keygen prints it)"),
            publicKeyFile: z.string().min(1).describe("PEM file of the Ed25519 public key"),
          })
          .strict(),
      )
      .default([])
      .describe("operator keys whose signed policies this device accepts (several, for rotation); only from this local config"),
    mqtt: z
      .object({
        url: z
          .string()
          .superRefine((u, ctx) => {
            const problem = brokerUrlProblem(u);
            if (problem) ctx.addIssue({ code: "custom", message: problem });
          })
          .nullable()
          .default(null)
          .describe("broker, e.g. mqtts://broker.example:8883 (TLS required; mqtt:// only to a loopback broker); null = fleet policy off"),
        fleet: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 letters, digits, _ or -")
          .default("default")
          .describe("fleet whose policy topic this device follows"),
        topicPrefix: z
          .string()
          .regex(/^[A-Za-z0-9_/-]{1,64}$/, "letters, digits, _, - and /")
          .default(DEFAULT_TOPIC_PREFIX)
          .describe("topic prefix"),
        protocolVersion: z
          .union([z.literal(5), z.literal(4)])
          .default(5)
          .describe("5 = MQTT 5, 4 = MQTT 3.1.1"),
        caFile: z.string().min(1).nullable().default(null).describe("PEM CA bundle for the broker's certificate"),
        username: z.string().min(1).nullable().default(null).describe("broker user name"),
        passwordFile: z.string().min(1).nullable().default(null).describe("file holding the broker password (never the password itself in config)"),
        certFile: z.string().min(1).nullable().default(null).describe("client certificate (PEM) for certificate authentication"),
        keyFile: z.string().min(1).nullable().default(null).describe("client private key (PEM)"),
        reconnectMinMs: int(100, 60000, 1000, "first reconnect delay; doubles per failed attempt"),
        reconnectMaxMs: int(1000, 3600000, 60000, "longest reconnect delay"),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const RetentionConfig = z
  .object({
    days: int(
      1,
      180,
      180,
      "keep voice material at most this many days (by wall clock and by powered-on time); the code caps it at 180 whatever is set here or by fleet policy",
    ),
    purgeIntervalMinutes: int(1, 1440, 60, "longest wait between purges (a purge also runs exactly when the next capture expires, and at start)"),
    auditKeepDays: int(1, 3650, 365, "privacy events older than this are pruned; the hash chain keeps an anchor and still verifies"),
    maxCaptures: int(0, 1_000_000, 0, "keep at most this many captures, removing the oldest first (0: no cap; the demo config keeps 20)"),
  })
  .strict();

export const DeviceConfig = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 letters, digits, _ or -")
      .nullable()
      .default(null)
      .describe("device id for fleet management (MQTT topics); never in uploads, redacted from logs"),
    serial: z.string().min(4).nullable().default(null).describe("hardware serial number; never in uploads, redacted from logs"),
    accountId: z.string().min(4).nullable().default(null).describe("the household's account id, if firmware provides it; never in uploads, redacted from logs"),
  })
  .strict();

export const PrivacyConfig = z
  .object({
    alphaMin: z
      .number()
      .min(0.5)
      .max(0.95)
      .default(0.5)
      .describe("McAdams coefficient range: each capture's α is drawn uniformly from [alphaMin, alphaMax] by a CSPRNG and never stored"),
    alphaMax: z.number().min(0.5).max(0.95).default(0.9).describe("upper end of the α range (≥ alphaMin)"),
    trainingUse: z
      .boolean()
      .default(true)
      .describe(
        'household default for "may uploads be used for training"; the household\'s later choice over the bridge (training on|off) is persisted and wins',
      ),
    locale: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, "a locale such as zh-CN")
      .default("zh-CN")
      .describe("locale written into upload envelopes"),
  })
  .strict()
  .refine((p) => p.alphaMin <= p.alphaMax, { message: "alphaMin must not exceed alphaMax", path: ["alphaMin"] });

export const UploadConfig = z
  .object({
    kind: z
      .enum(["off", "outbox", "https"])
      .default("outbox")
      .describe("where de-identified uploads go: off = nowhere (captures stay local), outbox = a directory (demo), https = POST to endpoint"),
    outboxDir: z.string().min(1).default("./outbox").describe("outbox: one WAV + one JSON per upload"),
    endpoint: z.string().url().nullable().default(null).describe("https: upload URL; must be https:// unless the host is loopback"),
    allowedHosts: z.array(z.string().min(1)).default([]).describe("https: hosts the endpoint may name (an allowlist); empty = none allowed"),
    caFile: z.string().min(1).nullable().default(null).describe("https: PEM CA bundle to trust instead of the system's (private endpoints)"),
    timeoutMs: int(1000, 120000, 15000, "https: give up one attempt after this long in all (a total deadline, not only an idle timeout)"),
    retryBaseMs: int(100, 3600000, 5000, "first retry delay; doubles per failed attempt, with ±50 % jitter"),
    retryMaxMs: int(1000, 86400000, 3600000, "longest retry delay"),
    queueMax: int(1, 100000, 500, "bounded queue: beyond this many waiting uploads the oldest are dropped (the capture stays local)"),
    sendDelayMaxSeconds: int(0, 86400, 300, "each upload leaves after a random delay of up to this long, so the receiver cannot tell when it was captured"),
    deletionGapMaxSeconds: int(
      0,
      3600,
      60,
      "upstream deletion requests leave one at a time, in random order, with a random gap of up to this long between them",
    ),
  })
  .strict()
  .refine((u) => u.kind !== "https" || u.endpoint !== null, { message: "upload.kind https needs upload.endpoint", path: ["endpoint"] });

/** Directories the ledger must never be put in (its files are created 0600 and purged in place). */
const SYSTEM_DIRS = new Set([
  "/",
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/home",
  "/lib",
  "/lib64",
  "/opt",
  "/proc",
  "/root",
  "/run",
  "/sbin",
  "/srv",
  "/sys",
  "/tmp",
  "/usr",
  "/var",
  "/var/lib",
  "/var/run",
  "/var/tmp",
]);

export const ConfigSchema = z
  .object({
    profile: z
      .enum(["household", "hotel", "child"])
      .default("household")
      .describe(
        "household: kept sessions are voice-modified, stored and (if on) uploaded; hotel: a guest room — a session may leave only as a recognised hotel catalogue command, anything else is dropped unrecorded; child: a child's speaker — never training use, voice material kept at most 30 days, every optional feature off until a guardian consents, and no fleet policy may loosen that (CHILD_PROFILE)",
      ),
    mode: z.enum(["far", "near"]).default("far").describe("capture mode at first start; the household's later choice is persisted and wins"),
    dataDir: z
      .string()
      .min(1)
      .refine((d) => !SYSTEM_DIRS.has(resolve(d)), {
        message: "must be a directory of the agent's own (e.g. /var/lib/speaker-privacy-agent), not a system directory such as / or /etc",
      })
      .default("./data")
      .describe(
        "directory of agent.db (captures with their encrypted modified audio, upload queue, settings, privacy events) and gate.state (mute state and mode)",
      ),
    audio: AudioConfig.prefault({}),
    wake: WakeConfig.prefault({}),
    gate: GateConfigSchema.prefault({}),
    bridge: BridgeConfig.prefault({}),
    simulator: SimulatorConfig.prefault({}),
    status: StatusConfig.prefault({}),
    log: LogConfig.prefault({}),
    hotel: HotelConfig.prefault({}),
    page: PageConfig.prefault({}),
    retention: RetentionConfig.prefault({}),
    policy: PolicyConfig.prefault({}),
    device: DeviceConfig.prefault({}),
    privacy: PrivacyConfig.prefault({}),
    upload: UploadConfig.prefault({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
