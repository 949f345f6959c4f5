import { FILE_TYPES, MAX_UPLOAD_BYTES } from '../schemas/plans.js';

/**
 * The one client script, served as /assets/app.js. Plain ES5 with XMLHttpRequest and FormData only,
 * so it runs in old phone browsers and WeChat's built-in browser.
 */
export const APP_JS = `(function () {
  'use strict';
  var MAX = ${MAX_UPLOAD_BYTES};
  var EXTS = ${JSON.stringify(Object.keys(FILE_TYPES))};
  function say(form, text, bad) {
    var p = form.querySelector('.msg');
    p.textContent = text;
    p.className = bad ? 'msg err' : 'msg note';
  }
  function req(method, url, body, cb) {
    var x = new XMLHttpRequest();
    x.open(method, url, true);
    x.withCredentials = true;
    if (body) x.setRequestHeader('Content-Type', 'application/json');
    x.onload = function () {
      var data = null;
      try { data = JSON.parse(x.responseText); } catch (e) { data = null; }
      cb(x.status, data);
    };
    x.onerror = function () { cb(0, null); };
    x.send(body ? JSON.stringify(body) : null);
  }
  function errText(status, data) {
    if (data && data.error && data.error.message) return data.error.message;
    if (status === 0) return '网络连接失败，请检查网络后重试。';
    return '上传失败（' + status + '），请稍后重试。';
  }
  // The file goes straight to S3 with a short-lived upload permission (the pre-signed POST). S3 answers 403
  // when that permission has expired or was refused: the file must be chosen and sent again, which asks for
  // a new permission. Anything else is a failure worth retrying later.
  function s3Failed(form, input, status) {
    if (status === 403) {
      input.value = '';
      say(form, '上传许可已过期，文件未上传。请重新选择文件，再点击上传。', true);
    } else {
      say(form, '上传未成功（' + status + '），请稍后重试；如仍不成功，请联系市未成年人心理健康辅导中心。', true);
    }
  }
  function poll(form, doc, uploadId, tries) {
    req('GET', '/api/plans', null, function (status, data) {
      if (status === 200 && data && data.rows && data.rows[0]) {
        var docs = data.rows[0].documents, d = null;
        for (var i = 0; i < docs.length; i++) if (docs[i].document === doc) d = docs[i];
        if (d && d.pendingIds.indexOf(uploadId) < 0) { location.reload(); return; }
      }
      if (tries > 40) { say(form, '文件已上传，系统仍在检查，请稍后刷新页面查看结果。', false); return; }
      setTimeout(function () { poll(form, doc, uploadId, tries + 1); }, 750);
    });
  }
  function upload(form) {
    var input = form.querySelector('input[type=file]');
    var button = form.querySelector('button');
    var bar = form.querySelector('progress');
    var file = input.files && input.files[0];
    if (!file) { say(form, '请先选择文件。', true); return; }
    var m = /\\.([A-Za-z0-9]+)$/.exec(file.name);
    if (!m || EXTS.indexOf(m[1].toLowerCase()) < 0) { say(form, '只接受 PDF 或 Word（.doc、.docx）文件。', true); return; }
    if (file.size === 0) { say(form, '文件为空，请重新选择。', true); return; }
    if (file.size > MAX) { say(form, '文件超过 ' + (MAX / 1048576) + ' MB 上限。', true); return; }
    button.disabled = true;
    say(form, '正在准备上传…', false);
    var doc = form.getAttribute('data-doc');
    req('POST', '/api/uploads', { document: doc, fileName: file.name, size: file.size }, function (status, data) {
      if (status !== 201 || !data) { button.disabled = false; say(form, errText(status, data), true); return; }
      var fd = new FormData();
      for (var k in data.fields) if (Object.prototype.hasOwnProperty.call(data.fields, k)) fd.append(k, data.fields[k]);
      fd.append('file', file);
      var x = new XMLHttpRequest();
      x.open('POST', data.url, true);
      bar.hidden = false;
      if (x.upload) x.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = Math.round(e.loaded * 100 / e.total); };
      x.onload = function () {
        if (x.status >= 200 && x.status < 300) { say(form, '上传完成，正在检查文件…', false); poll(form, doc, data.uploadId, 0); }
        else { button.disabled = false; bar.hidden = true; s3Failed(form, input, x.status); }
      };
      x.onerror = function () { button.disabled = false; bar.hidden = true; say(form, '网络连接失败，请检查网络后重试。', true); };
      x.send(fd);
    });
  }
  var forms = document.querySelectorAll('form.upload');
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener('submit', function (e) { e.preventDefault(); upload(this); });
  }
})();
`;
