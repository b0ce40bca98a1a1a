// The image API's web page. It reads the API URL from config.json (written at deploy time beside this
// file) and speaks the original protocol: POST { operation, base64Image, outputExtension, customArgs }.
'use strict';

const FILTERS = {
  none: [],
  negate: ['-negate'],
  sepia: ['-sepia-tone', '65%'],
  gray: ['-colorspace', 'Gray'],
  darken: ['-fill', 'black', '-colorize', '50%'],
  lighten: ['-fill', 'white', '-colorize', '50%'],
};

const $ = (id) => document.getElementById(id);
const state = { config: null, base64: null, inputExtension: undefined };

function setStatus(text, isError) {
  $('status').textContent = text;
  $('status').classList.toggle('error', Boolean(isError));
}

async function callApi(request) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const key = $('api-key').value.trim();
  if (key) headers['x-api-key'] = key;
  const response = await fetch(state.config.apiUrl, { method: 'POST', headers, body: JSON.stringify(request) });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  if (!response.ok) {
    const message = body && typeof body === 'object' ? body.message || body.error : String(body);
    throw new Error(`${response.status}: ${message}`);
  }
  return body;
}

function imageInfo(img, bytes) {
  return `${img.naturalWidth}×${img.naturalHeight} px, ${bytes.toLocaleString()} bytes`;
}

function showImage(id, mime, base64) {
  const img = $(id);
  return new Promise((resolve, reject) => {
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`the browser could not display the ${id} image`));
    img.src = `data:${mime};base64,${base64}`;
  });
}

async function setOriginal(base64, mime, inputExtension, label) {
  state.base64 = base64;
  state.inputExtension = inputExtension;
  const img = await showImage('original', mime, base64);
  $('original-info').textContent = `Original (${label}): ${imageInfo(img, Math.floor((base64.length * 3) / 4))}`;
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

async function onFile() {
  const file = $('file').files[0];
  if (!file) return;
  if (state.config && file.size > state.config.maxInputBytes) {
    setStatus(`${file.name} is ${file.size.toLocaleString()} bytes; the API accepts at most ${state.config.maxInputBytes.toLocaleString()}.`, true);
    return;
  }
  const dataUrl = await readFile(file);
  const [prefix, base64] = dataUrl.split(',', 2);
  const mime = prefix.slice(5, prefix.indexOf(';'));
  // The API reads the real format from the bytes; the extension is only sent when the name has one.
  const extension = /\.([a-z0-9]+)$/i.exec(file.name);
  await setOriginal(base64, mime, extension ? extension[1].toLowerCase() : undefined, file.name);
  setStatus(`Loaded ${file.name}.`);
}

async function onSample() {
  setStatus('Fetching the sample image…');
  const base64 = await callApi({ operation: 'getSample', outputExtension: 'png' });
  await setOriginal(base64, 'image/png', 'png', 'sample');
  setStatus('Loaded the sample image.');
}

async function onProcess(event) {
  event.preventDefault();
  if (!state.base64) return;
  const width = Number($('width').value);
  if (!Number.isInteger(width) || width < 1 || width > 8192) {
    setStatus('Width must be a whole number from 1 to 8192.', true);
    return;
  }
  const format = $('format').value;
  const customArgs = [...FILTERS[$('filter').value], '-resize', String(width)];
  setStatus('Processing…');
  $('process').disabled = true;
  const started = performance.now();
  try {
    const base64 = await callApi({
      operation: 'convert',
      base64Image: state.base64,
      inputExtension: state.inputExtension,
      outputExtension: format,
      customArgs,
    });
    const mime = format === 'jpg' ? 'image/jpeg' : `image/${format}`;
    const img = await showImage('processed', mime, base64);
    $('processed-info').textContent = `Processed (${customArgs.join(' ')}): ${imageInfo(img, Math.floor((base64.length * 3) / 4))}`;
    setStatus(`Done in ${Math.round(performance.now() - started)} ms.`);
  } catch (error) {
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
