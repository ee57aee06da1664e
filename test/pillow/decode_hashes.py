"""sha256 of Pillow's decoded RGB bytes for JPEGs, at full size and at libjpeg's DCT scales, for the
differential test test/node/decoder-pillow.test.ts. Reads one JPEG path per line on stdin and writes
one JSON line per path:

    {"file": path, "scales": {"1": {"width": w, "height": h, "sha256": hex}, "2": ..., "4": ..., "8": ...}}

Scale d is Pillow's JPEG draft mode: `im.draft("RGB", (w // d, h // d))` makes libjpeg-turbo decode with
scale_denom d (giving ceil(w / d) × ceil(h / d), which is checked) (its reduced-size IDCTs); full size (d = 1) is a plain `Image.open`. Every
decode ends with `convert("RGB")` (grayscale replicated, CMYK through Pillow's cmyk2rgb), no EXIF
rotation: the decoder is compared, not the preprocessing. A file Pillow cannot decode gets "error".
"""
import hashlib
import json
import sys

from PIL import Image


def decode(path: str, d: int):
    with Image.open(path) as im:
        if im.format != "JPEG":
            return {"error": f"not a JPEG ({im.format})"}
        w, h = im.size
        want = (-(-w // d), -(-h // d))
        if d > 1:
            im.draft("RGB" if im.mode in ("RGB", "YCbCr") else im.mode, (max(1, w // d), max(1, h // d)))
            if im.size != want:
                return {"error": f"draft gave {im.size}, wanted {want}"}
        rgb = im.convert("RGB")
        return {"width": rgb.width, "height": rgb.height, "sha256": hashlib.sha256(rgb.tobytes()).hexdigest()}


def main() -> None:
    scales = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "1,2,4,8").split(",")]
    for line in sys.stdin:
        path = line.rstrip("\n")
        if not path:
            continue
        out = {}
        for d in scales:
            try:
                out[str(d)] = decode(path, d)
            except Exception as err:  # noqa: BLE001 - reported, the test decides
                out[str(d)] = {"error": f"{type(err).__name__}: {err}"}
        print(json.dumps({"file": path, "scales": out}), flush=True)


if __name__ == "__main__":
    main()
