export {
  renderIncident,
  renderIncidentPlain,
  renderThreadReply,
  headline,
  grafanaLink,
  incidentLink,
  type Block,
  type RenderOptions,
} from './render.js';
export { SLACK_LIMITS, esc, code, truncate, listWithin } from './mrkdwn.js';
export { SlackNotifier, slackError, type SlackOptions, type SlackOutcome } from './slack.js';
export { postWebhook, fillTemplate, rollbackCommandOf, type RollbackCommand, type WebhookOptions } from './rollback.js';
export { ActionDispatcher, type ActionOutcome, type DispatcherOptions } from './dispatcher.js';
export {
  airflowRerun,
  checkRerunCommand,
  rerunCommandOf,
  rerunMark,
  type AirflowOptions,
  type RerunCommand,
  type RerunResult,
} from './rerun.js';
