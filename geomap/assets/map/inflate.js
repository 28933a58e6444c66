/* inflate: the page's loader, the one plain inline script before the page's others (render.loader_script).
 * The scripts (Leaflet, its plugins, geomap's own) and a small map's larger data blocks (details, time view,
 * basemap) come DEFLATE-packed in base85 (render.packed_block), a third of their size; runPackedScripts() runs
 * the scripts, blockText() reads a data block either way. The decoder follows RFC 1951 as zlib's puff.c
 * does: synchronous, so each script has run before the parser reaches the next markup. */
var LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
var LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
var DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                 4097, 6145, 8193, 12289, 16385, 24577];
var DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
var CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

function corruptBlock() { throw new Error("geomap: a packed block is corrupt"); }

// At least ``n`` bits in the buffer (zeros past the end: a code's lookup may peek beyond the last byte).
function fillBits(s, n) {
  while (s.cnt < n) { s.buf |= (s.pos < s.data.length ? s.data[s.pos] : 0) << s.cnt; s.pos++; s.cnt += 8; }
}

// Consume ``n`` bits; reading past the end is corrupt data.
function dropBits(s, n) {
  s.buf >>>= n; s.cnt -= n;
  if (s.pos > s.data.length && (s.pos - s.data.length) * 8 > s.cnt) corruptBlock();
}

// The next ``n`` bits of the stream, least significant first.
function readBits(s, n) {
  fillBits(s, n);
  var value = s.buf & ((1 << n) - 1);
  dropBits(s, n);
  return value;
}

// A canonical Huffman code as a lookup table: the next ``max`` bits of the stream index an entry
// holding the symbol and its code's length (0: no such code).
function huffmanTable(lengths) {
  var max = 0, counts = new Uint16Array(16), next = new Uint16Array(16), s, code = 0;
  for (s = 0; s < lengths.length; s++) { counts[lengths[s]]++; if (lengths[s] > max) max = lengths[s]; }
  counts[0] = 0;
  for (var len = 1; len < 16; len++) { code = (code + counts[len - 1]) << 1; next[len] = code; }
  var table = new Int32Array(1 << max);
  for (s = 0; s < lengths.length; s++) {
    var length = lengths[s];
    if (!length) continue;
    var c = next[length]++, reversed = 0; // codes are packed from their most significant bit
    for (var k = 0; k < length; k++) { reversed = (reversed << 1) | (c & 1); c >>= 1; }
    for (var j = reversed; j < table.length; j += 1 << length) table[j] = (length << 16) | s;
  }
  return { table: table, max: max };
}

function decodeSymbol(s, code) {
  fillBits(s, code.max);
  var entry = code.table[s.buf & ((1 << code.max) - 1)];
  if (!entry) corruptBlock();
  dropBits(s, entry >>> 16);
  return entry & 0xffff;
}

// ``out`` with room for ``n`` more bytes.
function makeRoom(out, n) {
  if (out.n + n <= out.bytes.length) return;
  var grown = new Uint8Array(Math.max(out.bytes.length * 2, out.n + n));
  grown.set(out.bytes); out.bytes = grown;
}

// One block's literals and copies, up to its end-of-block symbol. The hot loop (~200,000 symbols for the
// page's scripts, run cold): the bit buffer and the output live in local variables, the reads inlined.
function inflateCodes(s, out, codes) {
  var data = s.data, end = data.length, pos = s.pos, buf = s.buf, cnt = s.cnt, bytes = out.bytes, n = out.n;
  var lit = codes[0].table, litBits = codes[0].max, litMask = (1 << litBits) - 1;
  var dist = codes[1].table, distBits = codes[1].max, distMask = (1 << distBits) - 1;
  var entry, symbol, extra, length, distance;
  for (;;) {
    if (pos > end && (pos - end) * 8 > cnt) corruptBlock(); // a code read past the last byte
    while (cnt < litBits) { buf |= (pos < end ? data[pos] : 0) << cnt; pos++; cnt += 8; }
    entry = lit[buf & litMask];
    if (!entry) corruptBlock();
    buf >>>= entry >>> 16; cnt -= entry >>> 16; symbol = entry & 0xffff;
    if (symbol < 256) {
      if (n === bytes.length) { out.n = n; makeRoom(out, 1); bytes = out.bytes; }
      bytes[n++] = symbol;
      continue;
    }
    if (symbol === 256) break;
    symbol -= 257;
    if (symbol >= 29) corruptBlock();
    extra = LENGTH_EXTRA[symbol];
    while (cnt < extra) { buf |= (pos < end ? data[pos] : 0) << cnt; pos++; cnt += 8; }
    length = LENGTH_BASE[symbol] + (buf & ((1 << extra) - 1)); buf >>>= extra; cnt -= extra;
    while (cnt < distBits) { buf |= (pos < end ? data[pos] : 0) << cnt; pos++; cnt += 8; }
    entry = dist[buf & distMask];
    if (!entry) corruptBlock();
    buf >>>= entry >>> 16; cnt -= entry >>> 16; symbol = entry & 0xffff;
    if (symbol >= 30) corruptBlock();
    extra = DIST_EXTRA[symbol];
    while (cnt < extra) { buf |= (pos < end ? data[pos] : 0) << cnt; pos++; cnt += 8; }
    distance = DIST_BASE[symbol] + (buf & ((1 << extra) - 1)); buf >>>= extra; cnt -= extra;
    if (distance > n) corruptBlock();
    if (n + length > bytes.length) { out.n = n; makeRoom(out, length); bytes = out.bytes; }
    for (; length--; n++) bytes[n] = bytes[n - distance];
  }
  if (pos > end && (pos - end) * 8 > cnt) corruptBlock();
  s.pos = pos; s.buf = buf; s.cnt = cnt; out.n = n;
}

var FIXED_CODES = null;
function fixedCodes() {
  if (!FIXED_CODES) {
    var lengths = [], distances = [], k;
    for (k = 0; k < 288; k++) lengths.push(k < 144 ? 8 : k < 256 ? 9 : k < 280 ? 7 : 8);
    for (k = 0; k < 30; k++) distances.push(5);
    FIXED_CODES = [huffmanTable(lengths), huffmanTable(distances)];
  }
  return FIXED_CODES;
}

// A dynamic block's two codes, read from its header.
function dynamicCodes(s) {
  var nlen = readBits(s, 5) + 257, ndist = readBits(s, 5) + 1, ncode = readBits(s, 4) + 4, order = [], lengths = [], k;
  for (k = 0; k < 19; k++) order.push(0);
  for (k = 0; k < ncode; k++) order[CODE_LENGTH_ORDER[k]] = readBits(s, 3);
  var lengthCode = huffmanTable(order);
  while (lengths.length < nlen + ndist) {
    var symbol = decodeSymbol(s, lengthCode), repeat, value = 0;
    if (symbol < 16) { lengths.push(symbol); continue; }
    if (symbol === 16) {
      if (!lengths.length) corruptBlock();
      value = lengths[lengths.length - 1]; repeat = 3 + readBits(s, 2);
    } else repeat = symbol === 17 ? 3 + readBits(s, 3) : 11 + readBits(s, 7);
    if (lengths.length + repeat > nlen + ndist) corruptBlock();
    while (repeat--) lengths.push(value);
  }
  return [huffmanTable(lengths.slice(0, nlen)), huffmanTable(lengths.slice(nlen))];
}

// Raw DEFLATE bytes to the bytes they pack.
function inflate(data) {
  var s = { data: data, pos: 0, buf: 0, cnt: 0 }, out = { bytes: new Uint8Array(Math.max(1024, data.length * 4)), n: 0 }, last;
  do {
    last = readBits(s, 1);
    var type = readBits(s, 2);
    if (type === 0) { // stored: whole bytes, after the rest of this one (the buffer gives back those it holds)
      s.pos -= s.cnt >>> 3; s.buf = 0; s.cnt = 0;
      if (s.pos + 4 > data.length) corruptBlock();
      var length = data[s.pos] | (data[s.pos + 1] << 8), check = data[s.pos + 2] | (data[s.pos + 3] << 8);
      if (length !== (~check & 0xffff) || s.pos + 4 + length > data.length) corruptBlock();
      s.pos += 4; makeRoom(out, length);
      out.bytes.set(data.subarray(s.pos, s.pos + length), out.n);
      out.n += length; s.pos += length;
    } else if (type === 1) inflateCodes(s, out, fixedCodes());
    else if (type === 2) inflateCodes(s, out, dynamicCodes(s));
    else corruptBlock();
  } while (!last);
  return out.bytes.subarray(0, out.n);
}

// The packed blocks' digits (render.packed_digits): RFC 1924's, with "." for "<".
var BASE85 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;.=>?@^_`{|}~";

// The bytes ``text`` holds: 5 digits for 4 bytes, a last group of n digits for n - 1 (padded with the
// last digit, as b85decode does).
function base85Bytes(text) {
  var digit = new Uint8Array(128), n = text.length, bytes = new Uint8Array(Math.ceil(n / 5) * 4), k, j, o = 0;
  for (k = 0; k < 85; k++) digit[BASE85.charCodeAt(k)] = k;
  for (k = 0; k < n; k += 5, o += 4) {
    var value = 0;
    for (j = k; j < k + 5; j++) value = value * 85 + (j < n ? digit[text.charCodeAt(j)] : 84);
    bytes[o] = value >>> 24; bytes[o + 1] = value >>> 16; bytes[o + 2] = value >>> 8; bytes[o + 3] = value;
  }
  return bytes.subarray(0, n - Math.ceil(n / 5));
}

// The text of a block: as written, or unpacked when render packed it.
function nodeText(node) {
  var text = node.textContent;
  if (node.getAttribute("data-packed") !== "deflate") return text;
  try {
    // as Python unpacks it: invalid UTF-8 is damage, a leading U+FEFF stays
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(inflate(base85Bytes(text)));
  } catch (e) {
    throw new Error("geomap: the packed block #" + node.id + " is corrupt (the file was damaged in transit): " + e.message);
  }
}

// The text of the data block ``id``.
function blockText(id) {
  var node = document.getElementById(id);
  if (!node) throw new Error("geomap: the block #" + id + " is missing (the file was cut short)");
  return nodeText(node);
}

// The packed scripts parsed so far (render.PACKED_SCRIPT blocks), in order, each in its block's place as an inline
// script of the unpacked text: the policy allows that text by its hash, and it runs as it is inserted.
// All of them or none (a damaged file, guard.js says so): each needs the ones before it (Leaflet first).
function runPackedScripts(type) {
  var blocks = document.querySelectorAll('script[type="' + type + '"]'), texts = [];
  for (var k = 0; k < blocks.length; k++) texts.push(nodeText(blocks[k]));
  for (k = 0; k < blocks.length; k++) {
    var script = document.createElement("script");
    script.text = texts[k];
    blocks[k].parentNode.replaceChild(script, blocks[k]);
  }
}
