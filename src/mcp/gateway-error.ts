import { ActionGateError } from '../errors.js';

export type McpGatewayErrorCode =
  /** The gateway's configuration file is not valid: `details.issues` names each bad field. */
  | 'CONFIG_INVALID'
  /** A tools/call's arguments do not give what the tool's mapping needs: `details.arguments` names them. */
  | 'BAD_ARGUMENTS'
  /** A tools/call names a tool the configuration does not offer. */
  | 'UNKNOWN_TOOL';

export class McpGatewayError extends ActionGateError<McpGatewayErrorCode> {}
