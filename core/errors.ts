/**
 * Errors the domain hands to its callers. Each carries a code that the web layer translates
 * (`err.<code>` in web/i18n); field errors map input names to codes for the form pattern.
 */
export const errorCodes = [
  'forbidden',
  'not_found',
  'validation',
  'conflict',
  'required',
  'too_long',
  'invalid_email',
  'invalid_phone',
  'invalid_username',
  'invalid_choice',
  'username_taken',
  'job_number_taken',
  'name_taken',
  'password_too_short',
  'password_too_weak',
  'password_mismatch',
  'password_same_as_username',
  'password_wrong',
  'password_unchanged',
  'login_failed',
  'rate_limited',
  'setup_done',
  'department_has_children',
  'department_has_members',
  'department_is_root',
  'department_cycle',
  'department_unknown',
  'role_builtin',
  'role_unknown',
  'role_target_invalid',
  'role_owner_only',
  'target_outranks',
  'last_owner',
  'self_disable',
  'scope_outside',
  'csv_empty',
  'csv_unreadable',
  'csv_missing_column',
  'csv_duplicate_in_file',
  'csv_too_many_rows',
  'no_selection',
  'out_of_range',
  'invalid_host',
  'config_unsafe',
  'number_taken',
  'trunk_in_use',
  'trunk_unknown',
  'agent_unknown',
  'upload_missing',
  'upload_too_large',
  'audio_unreadable',
  'audio_silent',
  'audio_too_long',
  'audio_empty',
  'tts_failed',
  'prompt_in_use',
  'prompt_in_survey',
  'in_use',
  'agent_busy',
  // ACD and the agent desk
  'duplicate_strategy',
  'region_first',
  'strategy_after_decisive',
  'same_group',
  'nothing_to_announce',
  'needs_queue_visible',
  'not_on_call',
  'call_not_found',
  'no_agent_free',
  'conference_full',
  'transfer_in_progress',
  'no_consult',
  'not_allowed',
  'not_waiting',
  'pbx_down',
  'retention_needs_delete',
] as const;

export type ErrorCode = (typeof errorCodes)[number];
export type FieldErrors = Record<string, ErrorCode>;

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly params: Record<string, string | number> = {},
    readonly fields: FieldErrors = {},
  ) {
    super(code);
    this.name = 'DomainError';
  }
}

export class ForbiddenError extends DomainError {
  constructor(readonly permission: string) {
    super('forbidden', { permission });
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends DomainError {
  constructor() {
    super('not_found');
    this.name = 'NotFoundError';
  }
}

export class ValidationError extends DomainError {
  constructor(fields: FieldErrors) {
    super('validation', {}, fields);
    this.name = 'ValidationError';
  }
}
