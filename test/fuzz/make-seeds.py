"""Writes the fuzz seed corpus (test/fuzz/seeds/) from the committed fixtures. Run once, from the repo root
(needs jpegtran: Debian's libjpeg-turbo-progs 1:2.1.5-2; the seeds are committed, so nothing else needs it):

    models/.venv/bin/python test/fuzz/make-seeds.py

Small crops of the fixture images, saved by Pillow (libjpeg-turbo) in every structure the decoder has a
path for: baseline and progressive, 4:4:4 / 4:2:2 / 4:2:0, grayscale, CMYK (Adobe APP14),
optimised Huffman tables, 16-bit quantisation tables, sizes that are not whole MCUs, each EXIF
orientation; lossless jpegtran rewrites of them for what Pillow cannot write (restart markers, 4:4:0 by
transposing 4:2:2, arithmetic coding, which must be refused); plus the small fixtures themselves (the
65 535² header, a quality fixture) and the head of the truncated one. Small on purpose: libFuzzer mutates them thousands of times a second.
The body seeds wrap some of them in the three envelopes readImageBody takes.
"""
import base64
import io
import json
import shutil
import subprocess
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "test/fixtures/images"
OUT = ROOT / "test/fuzz/seeds"
BOUNDARY = b"cropgate-fuzz-boundary"  # test/fuzz/targets.ts


def jpeg(img: Image.Image, **kw) -> bytes:
    b = io.BytesIO()
    img.save(b, "JPEG", **kw)
    return b.getvalue()


def exif(orientation: int) -> bytes:
    e = Image.Exif()
    e[0x0112] = orientation
    return e.tobytes()


def jpegtran(data: bytes, *args: str) -> bytes:
    return subprocess.run(["jpegtran", *args], input=data, capture_output=True, check=True).stdout


def main() -> None:
    jpeg_dir, body_dir = OUT / "jpeg", OUT / "body"
    for d in (jpeg_dir, body_dir):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    chelsea = Image.open(FIX / "chelsea.jpg").convert("RGB")
    rice = Image.open(FIX / "rice-brownspot.jpg").convert("RGB")
    seeds = {}
    small = chelsea.crop((200, 80, 248, 112))  # 48×32
    odd = rice.resize((37, 21), Image.BOX)  # not whole MCUs
    seeds["baseline-420.jpg"] = jpeg(small, quality=75)
    seeds["baseline-444.jpg"] = jpeg(small, quality=90, subsampling=0)
    seeds["baseline-422.jpg"] = jpeg(small, quality=90, subsampling=1)
    seeds["progressive-420.jpg"] = jpeg(small, quality=80, progressive=True)
    seeds["progressive-444.jpg"] = jpeg(small, quality=80, progressive=True, subsampling=0)
    seeds["optimized.jpg"] = jpeg(small, quality=60, optimize=True)
    seeds["gray.jpg"] = jpeg(small.convert("L"), quality=80)
    seeds["gray-progressive.jpg"] = jpeg(small.convert("L"), quality=80, progressive=True)
    seeds["cmyk.jpg"] = jpeg(small.convert("CMYK"), quality=80)
    seeds["odd-size.jpg"] = jpeg(odd, quality=85)
    seeds["odd-size-progressive.jpg"] = jpeg(odd, quality=85, progressive=True)
    seeds["one-pixel.jpg"] = jpeg(small.resize((1, 1)), quality=90)
    seeds["q100.jpg"] = jpeg(small, quality=100)
    seeds["qtable-16bit.jpg"] = jpeg(small, qtables=[[300] * 64, [400] * 64])
    for o in range(1, 9):
        seeds[f"orientation-{o}.jpg"] = jpeg(odd, quality=70, exif=exif(o))
    seeds["restart-baseline.jpg"] = jpegtran(seeds["baseline-420.jpg"], "-restart", "1B")
    seeds["restart-progressive.jpg"] = jpegtran(seeds["baseline-420.jpg"], "-progressive", "-restart", "2B")
    seeds["restart-rows-gray.jpg"] = jpegtran(seeds["gray.jpg"], "-restart", "1")
    seeds["baseline-440.jpg"] = jpegtran(seeds["baseline-422.jpg"], "-transpose")
    seeds["progressive-440.jpg"] = jpegtran(seeds["baseline-422.jpg"], "-transpose", "-progressive")
    seeds["arithmetic.jpg"] = jpegtran(seeds["baseline-420.jpg"], "-arithmetic")
    seeds["cmyk-progressive-restart.jpg"] = jpegtran(seeds["cmyk.jpg"], "-progressive", "-restart", "1B")
    for name in ("variants/sof-65535x65535.jpg", "quality/rice-brownspot-96.jpg"):
        seeds[Path(name).name] = (FIX / name).read_bytes()
    seeds["coffee-truncated-head.jpg"] = (FIX / "variants/coffee-truncated.jpg").read_bytes()[:4096]
    for name, data in sorted(seeds.items()):
        (jpeg_dir / name).write_bytes(data)

    tiny = seeds["baseline-420.jpg"]
    part = (b"--" + BOUNDARY + b"\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.jpg\"\r\n"
            b"Content-Type: image/jpeg\r\n\r\n" + tiny + b"\r\n")
    bodies = {
        "raw.bin": bytes([0]) + tiny,
        "octet.bin": bytes([1]) + seeds["progressive-420.jpg"],
        "multipart.bin": bytes([2]) + part + b"--" + BOUNDARY + b"--\r\n",
        "multipart-two-files.bin": bytes([2]) + part + part + b"--" + BOUNDARY + b"--\r\n",
        "multipart-field-only.bin": bytes([2]) + b"--" + BOUNDARY + b"\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--" + BOUNDARY + b"--\r\n",
        "multipart-no-boundary.bin": bytes([3]) + part,
        "json.bin": bytes([4]) + json.dumps({"image": base64.b64encode(tiny).decode()}).encode(),
        "json-data-url.bin": bytes([5]) + json.dumps({"image": "data:image/jpeg;base64," + base64.b64encode(tiny).decode()}).encode(),
        "json-base64url.bin": bytes([4]) + json.dumps({"image": base64.urlsafe_b64encode(seeds["gray.jpg"]).decode().rstrip("=")}).encode(),
    }
    for name, data in sorted(bodies.items()):
        (body_dir / name).write_bytes(data)
    print(f"{len(seeds)} JPEG seeds ({sum(map(len, seeds.values()))} bytes), {len(bodies)} body seeds in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
