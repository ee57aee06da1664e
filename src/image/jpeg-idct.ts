/*
 * Inverse DCT of one 8×8 block, ported from libjpeg-turbo's jidctint.c (jpeg_idct_islow, the
 * "accurate integer" method libjpeg-turbo — and so Pillow — uses by default; its SIMD versions are
 * bit-exact with it). The same output as libjpeg-turbo is what makes our tensors match the Python
 * pipeline's. libjpeg-turbo: IJG License + Modified BSD, Copyright (C) 1991-1998 Thomas G. Lane,
 * Guido Vollbeding; D. R. Commander and contributors.
 */

const CONST_BITS = 13;
const PASS1_BITS = 2;
const FIX_0_298631336 = 2446;
const FIX_0_390180644 = 3196;
const FIX_0_541196100 = 4433;
const FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373;
const FIX_1_175875602 = 9633;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;

/**
 * libjpeg's post-IDCT range-limit table (jdmaster.c prepare_range_limit_table, offset by CENTERJSAMPLE):
 * index with `x & 1023`; clamps x + 128 to 0..255 for |x| ≤ 512 and wraps like libjpeg beyond that.
 */
export const RANGE_LIMIT = (() => {
  const t = new Uint8Array(1024);
  for (let i = 0; i < 1024; i++) t[i] = i < 128 ? i + 128 : i < 512 ? 255 : i < 896 ? 0 : i - 896;
  return t;
})();

const workspace = new Int32Array(64);

/**
 * Dequantises `coef[off..off+64)` (natural order) with `qt` and writes the 8×8 samples to `out` at
 * `outOff` with row stride `outStride`.
 */
export function idctIslow(coef: Int16Array, off: number, qt: Uint16Array, out: Uint8Array, outOff: number, outStride: number): void {
  const ws = workspace;
  const rl = RANGE_LIMIT;
  // Pass 1: columns from input into the work array, scaled up by 2**PASS1_BITS.
  for (let c = 0; c < 8; c++) {
    const i = off + c;
    if (coef[i + 8] === 0 && coef[i + 16] === 0 && coef[i + 24] === 0 && coef[i + 32] === 0 && coef[i + 40] === 0 && coef[i + 48] === 0 && coef[i + 56] === 0) {
      const dc = (coef[i]! * qt[c]!) << PASS1_BITS;
      for (let r = 0; r < 64; r += 8) ws[c + r] = dc;
      continue;
    }
    let z2 = coef[i + 16]! * qt[c + 16]!;
    let z3 = coef[i + 48]! * qt[c + 48]!;
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 + z3 * -FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    z2 = coef[i]! * qt[c]!;
    z3 = coef[i + 32]! * qt[c + 32]!;
    let tmp0 = (z2 + z3) << CONST_BITS;
    let tmp1 = (z2 - z3) << CONST_BITS;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp3 = coef[i + 8]! * qt[c + 8]!;
    tmp2 = coef[i + 24]! * qt[c + 24]!;
    tmp1 = coef[i + 40]! * qt[c + 40]!;
    tmp0 = coef[i + 56]! * qt[c + 56]!;
    let z4 = tmp1 + tmp3;
    z3 = tmp0 + tmp2;
    z2 = tmp1 + tmp2;
    z1 = tmp0 + tmp3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    tmp3 = tmp3 * FIX_1_501321110;
    tmp2 = tmp2 * FIX_3_072711026;
    tmp1 = tmp1 * FIX_2_053119869;
    tmp0 = tmp0 * FIX_0_298631336;
    z4 = z4 * -FIX_0_390180644 + z5;
    z3 = z3 * -FIX_1_961570560 + z5;
    z1 = z1 * -FIX_0_899976223;
    z2 = z2 * -FIX_2_562915447;
    tmp3 += z1 + z4;
    tmp2 += z2 + z3;
    tmp1 += z2 + z4;
    tmp0 += z1 + z3;
    const s = CONST_BITS - PASS1_BITS;
    const h = 1 << (s - 1);
    ws[c] = (tmp10 + tmp3 + h) >> s;
    ws[c + 8] = (tmp11 + tmp2 + h) >> s;
    ws[c + 16] = (tmp12 + tmp1 + h) >> s;
    ws[c + 24] = (tmp13 + tmp0 + h) >> s;
    ws[c + 32] = (tmp13 - tmp0 + h) >> s;
    ws[c + 40] = (tmp12 - tmp1 + h) >> s;
    ws[c + 48] = (tmp11 - tmp2 + h) >> s;
    ws[c + 56] = (tmp10 - tmp3 + h) >> s;
  }
  // Pass 2: rows from the work array to samples, descaled by 8 and 2**PASS1_BITS.
  const s = CONST_BITS + PASS1_BITS + 3;
  const h = 1 << (s - 1);
  for (let r = 0; r < 64; r += 8) {
    const o = outOff + (r >> 3) * outStride;
    if (ws[r + 1] === 0 && ws[r + 2] === 0 && ws[r + 3] === 0 && ws[r + 4] === 0 && ws[r + 5] === 0 && ws[r + 6] === 0 && ws[r + 7] === 0) {
      const dc = rl[((ws[r]! + (1 << (PASS1_BITS + 2))) >> (PASS1_BITS + 3)) & 1023]!;
      for (let k = 0; k < 8; k++) out[o + k] = dc;
      continue;
    }
    let z2 = ws[r + 2]!;
    let z3 = ws[r + 6]!;
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp0 = (ws[r]! + ws[r + 4]!) << CONST_BITS;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    let tmp1 = (ws[r]! - ws[r + 4]!) << CONST_BITS;
    let tmp2 = z1 + z3 * -FIX_1_847759065;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp3 = ws[r + 1]!;
    tmp2 = ws[r + 3]!;
    tmp1 = ws[r + 5]!;
    tmp0 = ws[r + 7]!;
    let z4 = tmp1 + tmp3;
    z3 = tmp0 + tmp2;
    z2 = tmp1 + tmp2;
    z1 = tmp0 + tmp3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    tmp3 = tmp3 * FIX_1_501321110;
    tmp2 = tmp2 * FIX_3_072711026;
    tmp1 = tmp1 * FIX_2_053119869;
    tmp0 = tmp0 * FIX_0_298631336;
    z4 = z4 * -FIX_0_390180644 + z5;
    z3 = z3 * -FIX_1_961570560 + z5;
    z2 = z2 * -FIX_2_562915447;
    z1 = z1 * -FIX_0_899976223;
    tmp3 += z1 + z4;
    tmp2 += z2 + z3;
    tmp1 += z2 + z4;
    tmp0 += z1 + z3;
    out[o] = rl[((tmp10 + tmp3 + h) >> s) & 1023]!;
    out[o + 1] = rl[((tmp11 + tmp2 + h) >> s) & 1023]!;
    out[o + 2] = rl[((tmp12 + tmp1 + h) >> s) & 1023]!;
    out[o + 3] = rl[((tmp13 + tmp0 + h) >> s) & 1023]!;
    out[o + 4] = rl[((tmp13 - tmp0 + h) >> s) & 1023]!;
    out[o + 5] = rl[((tmp12 - tmp1 + h) >> s) & 1023]!;
    out[o + 6] = rl[((tmp11 - tmp2 + h) >> s) & 1023]!;
    out[o + 7] = rl[((tmp10 - tmp3 + h) >> s) & 1023]!;
  }
}

// jidctred.c (libjpeg-turbo's reduced-size IDCTs, from IJG 6b; its SSE2/AVX2 versions are bit-exact with them).
const FIX_0_211164243 = 1730;
const FIX_0_509795579 = 4176;
const FIX_0_601344887 = 4926;
const FIX_0_720959822 = 5906;
const FIX_0_850430095 = 6967;
const FIX_1_061594337 = 8697;
const FIX_1_272758580 = 10426;
const FIX_1_451774981 = 11893;
const FIX_2_172734803 = 17799;
const FIX_3_624509785 = 29692;

/**
 * libjpeg-turbo's jpeg_idct_4x4: a 4×4 output block from an 8×8 coefficient block (each output sample ≈
 * the mean of a 2×2 cell of the full IDCT; row and column 4 of the coefficients do not contribute).
 */
export function idct4x4(coef: Int16Array, off: number, qt: Uint16Array, out: Uint8Array, outOff: number, outStride: number): void {
  const ws = workspace;
  const rl = RANGE_LIMIT;
  for (let c = 0; c < 8; c++) {
    if (c === 4) continue; // the second pass does not use column 4
    const i = off + c;
    if (coef[i + 8] === 0 && coef[i + 16] === 0 && coef[i + 24] === 0 && coef[i + 40] === 0 && coef[i + 48] === 0 && coef[i + 56] === 0) {
      const dc = (coef[i]! * qt[c]!) << PASS1_BITS;
      ws[c] = dc;
      ws[c + 8] = dc;
      ws[c + 16] = dc;
      ws[c + 24] = dc;
      continue;
    }
    let tmp0 = (coef[i]! * qt[c]!) << (CONST_BITS + 1);
    let tmp2 = coef[i + 16]! * qt[c + 16]! * FIX_1_847759065 - coef[i + 48]! * qt[c + 48]! * FIX_0_765366865;
    const tmp10 = tmp0 + tmp2;
    const tmp12 = tmp0 - tmp2;
    const z1 = coef[i + 56]! * qt[c + 56]!;
    const z2 = coef[i + 40]! * qt[c + 40]!;
    const z3 = coef[i + 24]! * qt[c + 24]!;
    const z4 = coef[i + 8]! * qt[c + 8]!;
    tmp0 = -z1 * FIX_0_211164243 + z2 * FIX_1_451774981 - z3 * FIX_2_172734803 + z4 * FIX_1_061594337;
    tmp2 = -z1 * FIX_0_509795579 - z2 * FIX_0_601344887 + z3 * FIX_0_899976223 + z4 * FIX_2_562915447;
    const s = CONST_BITS - PASS1_BITS + 1;
    const h = 1 << (s - 1);
    ws[c] = (tmp10 + tmp2 + h) >> s;
    ws[c + 24] = (tmp10 - tmp2 + h) >> s;
    ws[c + 8] = (tmp12 + tmp0 + h) >> s;
    ws[c + 16] = (tmp12 - tmp0 + h) >> s;
  }
  const s = CONST_BITS + PASS1_BITS + 3 + 1;
  const h = 1 << (s - 1);
  for (let r = 0; r < 32; r += 8) {
    const o = outOff + (r >> 3) * outStride;
    if (ws[r + 1] === 0 && ws[r + 2] === 0 && ws[r + 3] === 0 && ws[r + 5] === 0 && ws[r + 6] === 0 && ws[r + 7] === 0) {
      const dc = rl[((ws[r]! + (1 << (PASS1_BITS + 2))) >> (PASS1_BITS + 3)) & 1023]!;
      out[o] = dc;
      out[o + 1] = dc;
      out[o + 2] = dc;
      out[o + 3] = dc;
      continue;
    }
    let tmp0 = ws[r]! << (CONST_BITS + 1);
    let tmp2 = ws[r + 2]! * FIX_1_847759065 - ws[r + 6]! * FIX_0_765366865;
    const tmp10 = tmp0 + tmp2;
    const tmp12 = tmp0 - tmp2;
    const z1 = ws[r + 7]!, z2 = ws[r + 5]!, z3 = ws[r + 3]!, z4 = ws[r + 1]!;
    tmp0 = -z1 * FIX_0_211164243 + z2 * FIX_1_451774981 - z3 * FIX_2_172734803 + z4 * FIX_1_061594337;
    tmp2 = -z1 * FIX_0_509795579 - z2 * FIX_0_601344887 + z3 * FIX_0_899976223 + z4 * FIX_2_562915447;
    out[o] = rl[((tmp10 + tmp2 + h) >> s) & 1023]!;
    out[o + 3] = rl[((tmp10 - tmp2 + h) >> s) & 1023]!;
    out[o + 1] = rl[((tmp12 + tmp0 + h) >> s) & 1023]!;
    out[o + 2] = rl[((tmp12 - tmp0 + h) >> s) & 1023]!;
  }
}

/** libjpeg-turbo's jpeg_idct_2x2: a 2×2 output block (only coefficient rows and columns 0, 1, 3, 5, 7 contribute). */
export function idct2x2(coef: Int16Array, off: number, qt: Uint16Array, out: Uint8Array, outOff: number, outStride: number): void {
  const ws = workspace;
  const rl = RANGE_LIMIT;
  for (let c = 0; c < 8; c++) {
    if (c === 2 || c === 4 || c === 6) continue;
    const i = off + c;
    if (coef[i + 8] === 0 && coef[i + 24] === 0 && coef[i + 40] === 0 && coef[i + 56] === 0) {
      const dc = (coef[i]! * qt[c]!) << PASS1_BITS;
      ws[c] = dc;
      ws[c + 8] = dc;
      continue;
    }
    const tmp10 = (coef[i]! * qt[c]!) << (CONST_BITS + 2);
    const tmp0 =
      -coef[i + 56]! * qt[c + 56]! * FIX_0_720959822 +
      coef[i + 40]! * qt[c + 40]! * FIX_0_850430095 -
      coef[i + 24]! * qt[c + 24]! * FIX_1_272758580 +
      coef[i + 8]! * qt[c + 8]! * FIX_3_624509785;
    const s = CONST_BITS - PASS1_BITS + 2;
    const h = 1 << (s - 1);
    ws[c] = (tmp10 + tmp0 + h) >> s;
    ws[c + 8] = (tmp10 - tmp0 + h) >> s;
  }
  const s = CONST_BITS + PASS1_BITS + 3 + 2;
  const h = 1 << (s - 1);
  for (let r = 0; r < 16; r += 8) {
    const o = outOff + (r >> 3) * outStride;
    if (ws[r + 1] === 0 && ws[r + 3] === 0 && ws[r + 5] === 0 && ws[r + 7] === 0) {
      const dc = rl[((ws[r]! + (1 << (PASS1_BITS + 2))) >> (PASS1_BITS + 3)) & 1023]!;
      out[o] = dc;
      out[o + 1] = dc;
      continue;
    }
    const tmp10 = ws[r]! << (CONST_BITS + 2);
    const tmp0 = -ws[r + 7]! * FIX_0_720959822 + ws[r + 5]! * FIX_0_850430095 - ws[r + 3]! * FIX_1_272758580 + ws[r + 1]! * FIX_3_624509785;
    out[o] = rl[((tmp10 + tmp0 + h) >> s) & 1023]!;
    out[o + 1] = rl[((tmp10 - tmp0 + h) >> s) & 1023]!;
  }
}

/**
 * One block's samples at `size` per side, as libjpeg-turbo computes them when it decodes with DCT
 * scaling: 8 jpeg_idct_islow, 4 jpeg_idct_4x4, 2 jpeg_idct_2x2, 1 jpeg_idct_1x1 (the DC term alone).
 */
export function idctScaled(coef: Int16Array, off: number, qt: Uint16Array, size: number, out: Uint8Array, outOff: number, outStride: number): void {
  if (size === 8) idctIslow(coef, off, qt, out, outOff, outStride);
  else if (size === 4) idct4x4(coef, off, qt, out, outOff, outStride);
  else if (size === 2) idct2x2(coef, off, qt, out, outOff, outStride);
  else out[outOff] = RANGE_LIMIT[((coef[off]! * qt[0]! + 4) >> 3) & 1023]!;
}
