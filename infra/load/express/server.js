// The usual Node.js receiver, for comparison with hookwell under the same load: Express,
// the raw body for the signature, the official AWS SDK v3 to put the same envelope in SQS,
// 200 once SQS has it. GitHub's X-Hub-Signature-256 scheme, as hookwell verifies it.
'use strict';
const crypto = require('node:crypto');
const { isUtf8 } = require('node:buffer');
const fs = require('node:fs');
const express = require('express');
const { SQSClient, SendMessageCommand } = require('@aws-sdk/client-sqs');

const config = JSON.parse(fs.readFileSync(process.env.HOOKWELL_SOURCES_FILE, 'utf8'));
const secret = config.sources.github.secrets[0];
const queueUrl = process.env.HOOKWELL_QUEUE_URL;
const sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL });
const kept = ['x-github-event', 'x-github-hook-id', 'x-github-delivery'];

const app = express();
app.post('/webhooks/github', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const given = Buffer.from(req.get('x-hub-signature-256') || '');
  const expected = Buffer.from(
    'sha256=' + crypto.createHmac('sha256', secret).update(body).digest('hex'));
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    return res.status(401).json({ error: 'bad_signature' });
  }
  const eventType = req.get('x-github-event');
  const eventId = req.get('x-github-delivery');
  if (!eventType || !eventId) return res.status(400).json({ error: 'no_identity' });
  const utf8 = isUtf8(body);
  const headers = {};
  for (const h of kept) if (req.get(h)) headers[h] = req.get(h);
  const envelope = {
    v: 1, source: 'github', event_type: eventType, event_id: eventId,
    received_at: new Date().toISOString(),
    body: utf8 ? body.toString('utf8') : body.toString('base64'),
    ...(utf8 ? {} : { body_encoding: 'base64' }),
    headers,
  };
  const attr = (v) => ({ DataType: 'String', StringValue: v });
  try {
    await sqs.send(new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(envelope),
      MessageAttributes: { source: attr('github'), event_type: attr(eventType), event_id: attr(eventId) },
    }));
  } catch (e) {
    return res.status(503).json({ error: 'queue_unavailable' });
  }
  res.json({ status: 'accepted', event_id: eventId });
});

const port = Number(process.env.PORT || 9301);
app.listen(port, '127.0.0.1', () => console.log(`express receiver on 127.0.0.1:${port}`));
