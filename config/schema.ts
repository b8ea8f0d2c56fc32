/**
 * The one source of truth for configuration: types, defaults, ranges and docs all come from
 * this zod schema (README's reference table is generated from it: `npm run config:docs`).
 * Objects are strict: an unknown key is an error, not silently ignored.
 */
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
    file: z.string().min(1).nullable().default(null).describe("16 kHz mono s16 WAV replayed when there is no mic; null = the bundled demo recording"),
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
        "wake-word engine: trained = the bundled speaker-independent detector; template = the household's enrolled templates alone; porcupine = Picovoice (licensed); none = far-field off, only push-to-talk",
      ),
    fallback: z
      .enum(["trained", "none"])
      .default("trained")
      .describe("engine used when the configured one fails to start (none = push-to-talk only)"),
    model: z.string().min(1).nullable().default(null).describe("trained engine: weights file; null = the bundled agent/wake/models/trained.json"),
    templates: z
      .object({
        dir: z.string().min(1).nullable().default(null).describe("enrolled templates (spa wake enroll --out DIR); null = <dataDir>/wake-templates"),
        secondStage: z.boolean().default(false).describe("trained engine: a wake also needs the household's templates to agree (fewer false wakes)"),
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
    socketPath: z.string().min(1).default("./run/bridge.sock").describe("Unix socket the firmware connects to"),
    socketMode: z
      .string()
      .regex(/^0?[0-7]{3}$/, "an octal file mode such as 0660")
      .default("0660")
      .describe("permissions of the socket file (owner and group may connect)"),
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

export const LogConfig = z
  .object({
    level: z.enum(["debug", "info", "warn", "error"]).default("info").describe("stderr log level"),
    json: z.boolean().default(false).describe("log JSON lines instead of text"),
  })
  .strict();

export const ConfigSchema = z
  .object({
    mode: z.enum(["far", "near"]).default("far").describe("capture mode at first start; the household's later choice is persisted and wins"),
    dataDir: z.string().min(1).default("./data").describe("directory of agent.db (mute state, mode, session metadata, privacy events)"),
    audio: AudioConfig.prefault({}),
    wake: WakeConfig.prefault({}),
    gate: GateConfigSchema.prefault({}),
    bridge: BridgeConfig.prefault({}),
    simulator: SimulatorConfig.prefault({}),
    status: StatusConfig.prefault({}),
    log: LogConfig.prefault({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
