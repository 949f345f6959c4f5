import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import type { Mailer } from '../mail.js';

/** The SES v2 client; endpoint from AWS_ENDPOINT_URL_SESV2 when set (emulator). */
export const sesClient = () => new SESv2Client({});

export function sesMailer(ses: SESv2Client, from: string): Mailer {
  return {
    async send(m) {
      const r = await ses.send(
        new SendEmailCommand({
          FromEmailAddress: from,
          Destination: { ToAddresses: m.to },
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
