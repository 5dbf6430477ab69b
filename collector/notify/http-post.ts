/** A receiver's answer: its status code and the start of its body (for the log line of a refusal). */
export interface HttpPostResponse {
  status: number;
  body: string;
}

/**
 * Sends one POST. Resolves with any status the receiver answered; rejects (an EdgewatchError with
 * code EW_WEBHOOK_TIMEOUT or EW_WEBHOOK_UNREACHABLE) when there was no answer within `timeoutMs`.
 */
export interface HttpPost {
  post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<HttpPostResponse>;
}
