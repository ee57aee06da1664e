import jpeg from "jpeg-js";
import { imageToTensor, type Preprocessing } from "../image";

/**
 * What the model saw, as a small JPEG data URI for the HTML report: the photo through the manifest's own
 * preprocessing (orientation, centre square, box resize), turned back from the tensor into pixels. So a
 * gallery shows exactly the crop that was scored, and needs no image library beyond jpeg-js's encoder.
 */
export function modelViewThumbnail(bytes: Uint8Array, preprocessing: Preprocessing, quality = 80): string {
  const { tensor } = imageToTensor(bytes, preprocessing);
  const { width, height } = preprocessing.resize;
  const { mean, std } = preprocessing.scale;
  const n = width * height;
  const rgba = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      rgba[i * 4 + c] = Math.max(0, Math.min(255, Math.round(tensor[c * n + i]! * std[c]! + mean[c]!)));
    }
    rgba[i * 4 + 3] = 255;
  }
  const { data } = jpeg.encode({ data: rgba, width, height }, quality);
  return `data:image/jpeg;base64,${Buffer.from(data).toString("base64")}`;
}
