/**
 * Every firmware message type and its handler. The mapped type makes a message type without a
 * handler a compile error: a new message is its schema in firmware-bridge/protocol/messages.ts,
 * one handler file here, and one line below.
 */
import type { Request } from "../../firmware-bridge/protocol/messages.ts";
import { accountBind } from "./account-bind.ts";
import { button } from "./button.ts";
import type { Handler, HandlerContext, HandlerResult } from "./context.ts";
import { deleteCaptures } from "./delete.ts";
import { hello } from "./hello.ts";
import { ledAck } from "./led-ack.ts";
import { mode } from "./mode.ts";
import { mute, muteFor, muteSwitch, unmute } from "./mute.ts";
import { consentGrant, consents, consentWithdraw, trainingUse } from "./consent.ts";
import { uploadsRetry } from "./uploads-retry.ts";
import { guardianHours } from "./guardian-hours.ts";
import { diagnostics, diagnosticsConfirm, diagnosticsPrepare, diagnosticsReport } from "./diagnostics.ts";
import { pagePair, pageSessions } from "./page.ts";
import { voiceprintDelete, voiceprintRename, voiceprints } from "./voiceprints.ts";

export type { HandlerContext, HandlerResult } from "./context.ts";

export const HANDLERS: { [T in Request["type"]]: Handler<T> } = {
  hello,
  button,
  "mute-switch": muteSwitch,
  "led-ack": ledAck,
  "mute-for": muteFor,
  mute,
  unmute,
  mode,
  delete: deleteCaptures,
  "training-use": trainingUse,
  "consent-grant": consentGrant,
  "consent-withdraw": consentWithdraw,
  consents,
  voiceprints,
  "guardian-hours": guardianHours,
  "diagnostics-prepare": diagnosticsPrepare,
  "diagnostics-confirm": diagnosticsConfirm,
  "diagnostics-report": diagnosticsReport,
  diagnostics,
  "voiceprint-rename": voiceprintRename,
  "voiceprint-delete": voiceprintDelete,
  "uploads-retry": uploadsRetry,
  "account-bind": accountBind,
  "page-pair": pagePair,
  "page-sessions": pageSessions,
  // The state is every reply's answer; asking for it changes nothing.
  "get-state": () => null,
};

export function handle(msg: Request, ctx: HandlerContext): HandlerResult {
  return (HANDLERS[msg.type] as Handler<typeof msg.type>)(msg as never, ctx);
}
