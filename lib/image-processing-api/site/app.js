// The image API's web page. It reads the API URL from config.json (written at deploy time beside this
// file) and speaks the original protocol: POST { operation, base64Image, outputExtension, customArgs }.
// Files larger than the API's inline limit go through S3: getUploadUrl, a PUT with progress, then the
// operation with "sourceKey" and "deliver":"url", and the result fetched from its presigned URL.
'use strict';

const FILTERS = {
  none: [],
  negate: ['-negate'],
  sepia: ['-sepia-tone', '65%'],
  gray: ['-colorspace', 'Gray'],
  darken: ['-fill', 'black', '-colorize', '50%'],
  lighten: ['-fill', 'white', '-colorize', '50%'],
};
const MIME = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp' };

const $ = (id) => document.getElementById(id);
/** The chosen original: inline base64 (small files, the sample) or the File itself (sent through S3). */
const state = { config: null, base64: null, file: null, inputExtension: undefined, resultUrl: null };

function setStatus(text, isError) {
  $('status').textContent = text;
  $('status').classList.toggle('error', Boolean(isError));
}

/** The progress bar: a fraction 0..1, or null for "working, no measure" (the browser animates it). */
function setProgress(label, fraction) {
  $('progress-row').hidden = false;
  $('progress-label').textContent = label;
  if (fraction === null) $('progress').removeAttribute('value');
  else $('progress').value = Math.round(fraction * 100);
}

function hideProgress() {
  $('progress-row').hidden = true;
}

/**
 * One HTTP request with upload and download progress (fetch reports neither): resolves with
 * { status, body } where body is text or a Blob.
 */
function send({ method, url, headers = {}, body, responseType = 'text', onUpload, onDownload }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.responseType = responseType;
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    if (onUpload) xhr.upload.onprogress = (e) => e.lengthComputable && onUpload(e.loaded / e.total);
    if (onDownload) xhr.onprogress = (e) => e.lengthComputable && onDownload(e.loaded / e.total);
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.response });
    xhr.onerror = () => reject(new Error(`${method} ${new URL(url).host} failed (network or CORS)`));
    xhr.send(body);
  });
}

async function callApi(request, progress = {}) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const key = $('api-key').value.trim();
  if (key) headers['x-api-key'] = key;
  const response = await send({ method: 'POST', url: state.config.apiUrl, headers, body: JSON.stringify(request), ...progress });
  let body;
  try {
    body = JSON.parse(response.body);
  } catch {
    body = response.body;
  }
  if (response.status < 200 || response.status >= 300) {
    const message = body && typeof body === 'object' ? body.message || body.error : String(body);
    throw new Error(`${response.status}: ${message}`);
  }
  return body;
}

const formatBytes = (bytes) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : bytes >= 1e3 ? `${(bytes / 1e3).toFixed(1)} kB` : `${bytes} bytes`);

function imageInfo(img, bytes) {
  return `${img.naturalWidth}×${img.naturalHeight} px, ${formatBytes(bytes)}`;
}

/** Shows an image in its frame (the hint goes away only once the image has loaded: no broken-image icon). */
function showImage(id, src) {
  const img = $(id);
  return new Promise((resolve, reject) => {
    img.onload = () => {
      img.hidden = false;
      $(`${id}-hint`).hidden = true;
      resolve(img);
    };
    img.onerror = () => reject(new Error(`the browser could not display the ${id} image`));
    img.src = src;
  });
}

function clearResult() {
  $('processed').hidden = true;
  $('processed').removeAttribute('src');
  $('processed-hint').hidden = false;
  $('processed-info').textContent = 'Processed';
  $('download').hidden = true;
  if (state.resultUrl) URL.revokeObjectURL(state.resultUrl);
  state.resultUrl = null;
}

async function setOriginal({ base64, file, mime, inputExtension, label, bytes }) {
  Object.assign(state, { base64: base64 || null, file: file || null, inputExtension });
  clearResult();
  const img = await showImage('original', file ? URL.createObjectURL(file) : `data:${mime};base64,${base64}`);
  $('original-info').textContent = `Original (${label}): ${imageInfo(img, bytes)}`;
  $('process').disabled = false;
}

function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/** Whether a file goes through S3 rather than inline base64. */
const viaS3 = (size) => Boolean(state.config.uploads) && size > state.config.maxInputBytes;

async function onFile() {
  const file = $('file').files[0];
  if (!file) return;
  const extension = /\.([a-z0-9]+)$/i.exec(file.name);
  const inputExtension = extension ? extension[1].toLowerCase() : undefined;
  if (viaS3(file.size)) {
    await setOriginal({ file, inputExtension, label: file.name, bytes: file.size });
    setStatus(`Loaded ${file.name}; it is large, so it goes to S3 when you press Process.`);
    return;
  }
  if (file.size > state.config.maxInputBytes) {
    setStatus(`${file.name} is ${file.size.toLocaleString()} bytes; the API accepts at most ${state.config.maxInputBytes.toLocaleString()}.`, true);
    return;
  }
  const dataUrl = await readFile(file);
  const [prefix, base64] = dataUrl.split(',', 2);
  const mime = prefix.slice(5, prefix.indexOf(';'));
  // The API reads the real format from the bytes; the extension is only sent when the name has one.
  await setOriginal({ base64, mime, inputExtension, label: file.name, bytes: file.size });
  setStatus(`Loaded ${file.name}.`);
}

async function onSample() {
  setStatus('Fetching the sample image…');
  const base64 = await callApi({ operation: 'getSample', outputExtension: 'png' });
  await setOriginal({ base64, mime: 'image/png', inputExtension: 'png', label: 'sample', bytes: Math.floor((base64.length * 3) / 4) });
  setStatus('Loaded the sample image.');
}

/** PUTs the chosen file to a presigned URL; resolves with its sourceKey. */
async function uploadOriginal(file) {
  const contentType = file.type || 'application/octet-stream';
  const grant = await callApi({ operation: 'getUploadUrl', contentType, contentLength: file.size });
  setProgress('Uploading 0 %', 0);
  const put = await send({
    method: 'PUT',
    url: grant.uploadUrl,
    headers: grant.headers,
    body: file,
    onUpload: (f) => setProgress(`Uploading ${Math.round(f * 100)} %`, f),
  });
  if (put.status !== 200) throw new Error(`the upload was refused (HTTP ${put.status})`);
  return grant.key;
}

async function process(customArgs, format) {
  const request = { operation: 'convert', inputExtension: state.inputExtension, outputExtension: format, customArgs };
  if (state.file) {
    const sourceKey = await uploadOriginal(state.file);
    setProgress('Processing…', null);
    const answer = await callApi({ ...request, sourceKey, deliver: 'url' });
    setProgress('Downloading the result 0 %', 0);
    const result = await send({ method: 'GET', url: answer.resultUrl, responseType: 'blob', onDownload: (f) => setProgress(`Downloading the result ${Math.round(f * 100)} %`, f) });
    if (result.status !== 200) throw new Error(`the result could not be fetched (HTTP ${result.status})`);
    return { src: URL.createObjectURL(result.body), bytes: answer.bytes, blob: true };
  }
  setProgress('Sending 0 %', 0);
  const base64 = await callApi(
    { ...request, base64Image: state.base64 },
    { onUpload: (f) => (f < 1 ? setProgress(`Sending ${Math.round(f * 100)} %`, f) : setProgress('Processing…', null)) },
  );
  return { src: `data:${MIME[format]};base64,${base64}`, bytes: Math.floor((base64.length * 3) / 4), blob: false };
}

async function onProcess(event) {
  event.preventDefault();
  if (!state.base64 && !state.file) return;
  const width = Number($('width').value);
  if (!Number.isInteger(width) || width < 1 || width > 8192) {
    setStatus('Width must be a whole number from 1 to 8192.', true);
    return;
  }
  const format = $('format').value;
  const customArgs = [...FILTERS[$('filter').value], '-resize', String(width)];
  clearResult();
  setStatus('Processing…');
  $('process').disabled = true;
  const started = performance.now();
  try {
    const result = await process(customArgs, format);
    const img = await showImage('processed', result.src);
    const ms = Math.round(performance.now() - started);
    if (result.blob) state.resultUrl = result.src;
    $('processed-info').textContent = `Processed (${customArgs.join(' ')}): ${imageInfo(img, result.bytes)}, ${format.toUpperCase()}, ${ms} ms`;
    $('download').href = result.src;
    $('download').download = `processed-${img.naturalWidth}x${img.naturalHeight}.${format}`;
    $('download').hidden = false;
    setProgress('Done', 1);
    setStatus(`Done in ${ms} ms.`);
  } catch (error) {
    hideProgress();
    setStatus(`The API refused: ${error.message}`, true);
  } finally {
    $('process').disabled = false;
  }
}

async function start() {
  try {
    const response = await fetch('config.json', { cache: 'no-store' });
    if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
    state.config = await response.json();
    if (!state.config.apiUrl) throw new Error('config.json has no apiUrl');
    $('api-key-field').hidden = state.config.authorization !== 'API_KEY';
    setStatus(`Ready. API: ${state.config.apiUrl}`);
  } catch (error) {
    setStatus(`Cannot load the configuration: ${error.message}`, true);
    return;
  }
  $('file').addEventListener('change', () => onFile().catch((e) => setStatus(e.message, true)));
  $('sample').addEventListener('click', () => onSample().catch((e) => setStatus(e.message, true)));
  $('controls').addEventListener('submit', (e) => onProcess(e).catch((err) => setStatus(err.message, true)));
}

start();
