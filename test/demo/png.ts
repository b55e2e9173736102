import { inflateSync } from 'node:zlib';

/** A small PNG decoder (8-bit RGB/RGBA, non-interlaced), enough to read screenshots in tests. */
export const PNG = {
  decode(buf: Buffer): { width: number; height: number; data: Uint8Array } {
    if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
    let pos = 8;
    let width = 0;
    let height = 0;
    let colorType = 0;
    const idat: Buffer[] = [];
    while (pos < buf.length) {
      const len = buf.readUInt32BE(pos);
      const type = buf.toString('ascii', pos + 4, pos + 8);
      const body = buf.subarray(pos + 8, pos + 8 + len);
      if (type === 'IHDR') {
        width = body.readUInt32BE(0);
        height = body.readUInt32BE(4);
        if (body[8] !== 8 || body[12] !== 0) throw new Error('only 8-bit non-interlaced PNGs');
        colorType = body[9]!;
      } else if (type === 'IDAT') idat.push(body);
      else if (type === 'IEND') break;
      pos += 12 + len;
    }
    const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
    if (!channels) throw new Error(`PNG color type ${colorType} not supported`);
    const raw = inflateSync(Buffer.concat(idat));
    const stride = width * channels;
    const out = new Uint8Array(width * height * 4);
    const prev = new Uint8Array(stride);
    const cur = new Uint8Array(stride);
    for (let y = 0; y < height; y++) {
      const filter = raw[y * (stride + 1)]!;
      const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
      for (let x = 0; x < stride; x++) {
        const a = x >= channels ? cur[x - channels]! : 0;
        const b = prev[x]!;
        const c = x >= channels ? prev[x - channels]! : 0;
        let v = line[x]!;
        if (filter === 1) v += a;
        else if (filter === 2) v += b;
        else if (filter === 3) v += (a + b) >> 1;
        else if (filter === 4) {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }
        cur[x] = v & 0xff;
      }
      for (let x = 0; x < width; x++) {
        out[(y * width + x) * 4] = cur[x * channels]!;
        out[(y * width + x) * 4 + 1] = cur[x * channels + 1]!;
        out[(y * width + x) * 4 + 2] = cur[x * channels + 2]!;
        out[(y * width + x) * 4 + 3] = channels === 4 ? cur[x * channels + 3]! : 255;
      }
      prev.set(cur);
    }
    return { width, height, data: out };
  },
};
