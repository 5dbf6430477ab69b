import { EdgewatchError } from '../../../common/errors.js';
import type { RejectReason } from '../../metrics/collector-metrics.js';

/**
 * Input the forward server refuses: the reason is a metric label, the message goes to the log, and the
 * connection that sent it is closed so the sender sees the refusal and other connections carry on.
 */
export class ForwardRejection extends EdgewatchError {
  constructor(
    readonly reason: RejectReason,
    message: string,
  ) {
    super('EW_FORWARD_REJECTED', message);
    this.name = 'ForwardRejection';
  }
}
