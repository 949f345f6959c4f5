import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { encodeFrom, type Mailer } from '../mail.js';

/** The SES v2 client; endpoint from AWS_ENDPOINT_URL_SESV2 when set (emulator). */
export const sesClient = () => new SESv2Client({});

/**
 * A Mailer on SES v2 (simple content, UTF-8 subject and bodies). `from` is MAIL_FROM as configured
 * (`南昌市… <noreply@…>` or a bare address): it is checked and encoded here, once — a bad one throws
 * BadSenderError before any mail is claimed or sent, and a Chinese display name goes out as RFC 2047
 * encoded words, which AWS SES requires (it refuses a raw non-ASCII name).
 */
/**
 * `configurationSet`: named on every send, so SES routes its bounce and complaint events (infra: the
 * configuration set's EventBridge destination → ses-events). A mail's tags (e.g. org=<id>) travel with
 * those events and say whose address it was.
 */
export function sesMailer(ses: SESv2Client, from: string, configurationSet?: string): Mailer {
  const fromHeader = encodeFrom(from);
  return {
    async send(m) {
      const r = await ses.send(
        new SendEmailCommand({
          FromEmailAddress: fromHeader,
          Destination: { ToAddresses: m.to },
          ...(configurationSet ? { ConfigurationSetName: configurationSet } : {}),
          ...(m.tags && Object.keys(m.tags).length ? { EmailTags: Object.entries(m.tags).map(([Name, Value]) => ({ Name, Value })) } : {}),
          Content: {
            Simple: {
              Subject: { Data: m.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: m.text, Charset: 'UTF-8' }, Html: { Data: m.html, Charset: 'UTF-8' } },
            },
          },
        }),
      );
      return r.MessageId ?? '';
    },
  };
}
