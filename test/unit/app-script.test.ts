/**
 * The upload page's client script (web/app-script.ts), run in a VM with a minimal DOM, XMLHttpRequest and
 * FormData: what the user reads when S3 refuses the upload.
 */
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { APP_JS } from '../../web/app-script.js';

type Reply = { status: number; body?: unknown } | 'network-error';

/** Loads the script on a page with one upload form, submits a chosen file, and answers each request with `reply`. */
function submitWith(reply: (method: string, url: string) => Reply) {
  const requests: { method: string; url: string }[] = [];
  const msg = { textContent: '', className: 'msg' };
  const input = { value: 'C:\\fakepath\\方案.pdf', files: [{ name: '方案.pdf', size: 1234 }] };
  const button = { disabled: false };
  const bar = { hidden: true, value: 0 };
  let submit: ((this: unknown, e: { preventDefault(): void }) => void) | undefined;
  const form = {
    querySelector: (sel: string) => ({ '.msg': msg, 'input[type=file]': input, button, progress: bar })[sel],
    getAttribute: (name: string) => (name === 'data-doc' ? 'service-plan' : null),
    addEventListener: (type: string, fn: typeof submit) => {
      if (type === 'submit') submit = fn;
    },
  };
  class FakeXhr {
    status = 0;
    responseText = '';
    withCredentials = false;
    upload = {};
    onload?: () => void;
    onerror?: () => void;
    private method = '';
    private url = '';
    open(method: string, url: string) {
      this.method = method;
      this.url = url;
    }
    setRequestHeader() {}
    send() {
      requests.push({ method: this.method, url: this.url });
      const r = reply(this.method, this.url);
      if (r === 'network-error') return this.onerror?.();
      this.status = r.status;
      this.responseText = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      this.onload?.();
    }
  }
  class FakeFormData {
    append() {}
  }
  runInNewContext(APP_JS, {
    document: { querySelectorAll: (sel: string) => (sel === 'form.upload' ? [form] : []) },
    XMLHttpRequest: FakeXhr,
    FormData: FakeFormData,
    location: { reload() {} },
    setTimeout: () => 0,
  });
  expect(submit, 'the script did not listen for submit').toBeDefined();
  submit!.call(form, { preventDefault() {} });
  return { requests, msg, input, button, bar };
}

const presigned = { status: 201, body: { uploadId: 'u1', document: 'service-plan', url: 'https://bucket.s3.example/', fields: { key: 'incoming/x.pdf' } } };
const s3Says = (status: number | 'network-error') => (method: string, url: string): Reply =>
  url === '/api/uploads' ? presigned : status === 'network-error' ? status : { status, body: '<Error><Code>AccessDenied</Code></Error>' };

describe('upload page script: S3 refuses the POST', () => {
  it('a 403 from S3 says the upload permission expired and asks to choose the file again', () => {
    const r = submitWith(s3Says(403));
    expect(r.requests.map((x) => `${x.method} ${x.url}`)).toEqual(['POST /api/uploads', 'POST https://bucket.s3.example/']);
    expect(r.msg.textContent).toContain('上传许可已过期');
    expect(r.msg.textContent).toContain('重新选择文件');
    expect(r.msg.textContent).not.toContain('10 分钟');
    expect(r.msg.className).toBe('msg err');
    expect(r.input.value).toBe(''); // the user picks the file again
    expect(r.button.disabled).toBe(false);
    expect(r.bar.hidden).toBe(true);
  });

  it('any other S3 failure is not called an expired permission, and keeps the chosen file', () => {
    for (const status of [400, 500, 503]) {
      const r = submitWith(s3Says(status));
      expect(r.msg.textContent).toContain(`上传未成功（${status}）`);
      expect(r.msg.textContent).not.toContain('上传许可已过期');
      expect(r.msg.textContent).not.toContain('10 分钟');
      expect(r.input.value).not.toBe('');
      expect(r.button.disabled).toBe(false);
    }
  });

  it('a network failure on the way to S3 says so', () => {
    const r = submitWith(s3Says('network-error'));
    expect(r.msg.textContent).toBe('网络连接失败，请检查网络后重试。');
  });

  it('a success starts the check (no error shown)', () => {
    const r = submitWith((_m, url) => (url === '/api/uploads' ? presigned : url === '/api/plans' ? { status: 500 } : { status: 204 }));
    expect(r.msg.textContent).toBe('上传完成，正在检查文件…');
    expect(r.msg.className).toBe('msg note');
  });

  it('the script names no link lifetime anywhere', () => {
    expect(APP_JS).not.toContain('链接有效期');
  });
});
