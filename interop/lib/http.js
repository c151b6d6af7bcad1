'use strict';
// Plain HTTP for the clients: every round trip is recorded (without its headers, so a bearer
// token or form digest never reaches the output) under the label of the step that made it.

class Transport {
  constructor({ token = null, timeoutMs = 30000 } = {}) {
    this.token = token;
    this.timeoutMs = timeoutMs;
    this.label = null; // the step whose requests are being sent
    this.exchanges = [];
  }

  // One request; resolves to {status, statusText, headers: Map (lower-case), body: string}.
  async send(method, url, headers, body) {
    const sent = { ...headers };
    if (this.token) sent.Authorization = `Bearer ${this.token}`;
    const record = { label: this.label, method, url, request: body || '', status: 0, response: '' };
    this.exchanges.push(record);
    let answer;
    try {
      answer = await fetch(url, {
        method,
        headers: sent,
        body: method === 'GET' ? undefined : body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      record.error = `${error.name}: ${error.cause ? error.cause.code || error.cause.message : error.message}`;
      throw new Error(`${method} ${url}: ${record.error}`);
    }
    const text = await answer.text();
    record.status = answer.status;
    record.response = text;
    const lower = new Map([...answer.headers].map(([k, v]) => [k.toLowerCase(), v]));
    return { status: answer.status, statusText: answer.statusText, headers: lower, body: text };
  }

  // The same as a fetch() for clients that bring their own HTTP layer (PnPjs).
  async fetch(url, init = {}) {
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const answer = await this.send((init.method || 'GET').toUpperCase(), url, headers, init.body);
    return new Response(answer.body, { status: answer.status, statusText: answer.statusText, headers: [...answer.headers] });
  }
}

module.exports = { Transport };
