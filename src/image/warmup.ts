import { imageToTensor } from "./index";
import type { Preprocessing } from "./preprocessing";

/**
 * A 96×64 baseline 4:2:0 JPEG with EXIF orientation 6: `test/fixtures/images/rice-brownspot.jpg` resized
 * with Pillow's BOX filter, saved at quality 85 (2 790 bytes; CC BY 4.0 like its source).
 */
const WARMUP_JPEG_BASE64 =
  "/9j/4AAQSkZJRgABAQAAAQABAAD/4QAiRXhpZgAATU0AKgAAAAgAAQESAAMAAAABAAYAAAAAAAD/2wBDAAUDBAQEAwUEBAQFBQUGBwwIBwcHBw8LCwkMEQ8SEhEPERETFhwXExQaFRERGCEYGh0dHx8fExciJCIeJBweHx7/2wBDAQUFBQcGBw4ICA4eFBEUHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh7/wAARCABAAGADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDR0K5iTwhCdJK3HnZZpUIKs3QgEcHGMfhTdKbUYpt0u1SF3NiQHjPtXpFndxqoihjkiji48v7OAvPpxg/hUskmnzhlubeyYE4ZZIh/hX4nLE+9L3d/vMpYpxl5Hm2oeJtQ3tGSywxDgHqa0PCWr3+pXS3M4OwHCKK6nxFaaBBpE858PtqRAx5GngLMQe6kuvT65qPwvo+iXWjW9/a2Ws6XkY8q6lZZlI/vcn+dKU6TpXUbdOn+d/wOuni3GHO1oburr5GjM5X944OeK8d1a3uv7VPkQjrk8cn8a9ensnljhiXWJjGkgMqS7ZN6f3c5GO3PNUJ/DVvOzN9pQEnjahGPzJrmwtVULtjlj6Ula7OJ0O11jUX2SKVizjrzivR/DdhbaLb/AL+UKzHcd2M1BDbDSYMiW3SIEb5JHwFHr2rB1U6vrVzdw2sF3EkIG2WRF8uYHoUIYkjHsKmtKWI0VlE6aGMpQjzJmz4s+KNlpiSQoqSBAed1eHeMPFUuuwSmNdhkPXOan1/wrrEmsva6ha3hY8q8drKYiP8Ae24/Wli8KyJsgjt3/wBpzx/OvXwuGw2HSle7JniebRtJMwfDdtgp+7YgYAIH5muq19pItNjtoEbMnH4VvaboMNlZApDPI44+VCQT7YrnPEepzR6gsTQSIq5HzRlcVs6v1itePQ1UqdOPxas9Fsbi+trCKxOmbbe2QRxAHd8gGANxJP51KdRCYVNLui/cqf6g1k77xtQhltJ4I7XkTARneT22sG4/KtSHzJWUiVm2Z4LZz+ea8qaS1fX1Pm5Nyd29yR5hIB50N5DnJG9CfzJUiobm9t0tpZUurqRYhuZUiLE/QKAW/Cn3dvLeW81jdRrNazIY3h5UFT1HFZUXhqztbS0tdPudQsba1/1VvBclk655D9c/XpSh7Nr3nb+vv/A1pxoW99tP00Lt9ZajfW9le2XiK8svKxKsMaiITZwdsu4MQO3TIyadq39vTajp89pr0FhDCd1zAsSSi4H93c4BX6j1p2jQTRX7T6xfwXtuYyq2v2ERAEtkNuGeg4xnHerd5JoENq8senmZh0jhbJz7DrUurKMlFa9tF19bfl6Gsmk1GDT+X+aC/wBQvY4vPgsXu23gBIXRSB68sM0tzcHV7aS1Sa/t2jcB2g3xMD6bmABX6ZHvWNqNtMI7K7ttG/dOmLqyFy32iN+eVYnYy9O2f6dBbaSsNoLptWexjWPzJFldCIxjJ3Een1xUyqRpxT6/101/ruH1eVJJxtfyf6FDUNZbwnp9l9q/4SDVVlmKoLeP7U0fT72Bnbx69z+GzqEizosV3EFAkWUAOyNkHjJU8j1B4NVJxqF1pa6joV9p2tQMMx+QqqJecHa+7bwevPapbe28QxxpNJpdn8yZaKKdd6n0PIGfoTWc6kGk3ZSu762f3aWM6yqP3tebvp+RaiuVkWSRLKN405d1X5Fx6kDiqVxLpsscoTzE85juaNhleMYXHYe+ar3+oasieTN4fvkjJ5bKOPr1NVHNk203MZjK5J86IYH54q4QhZNfg7nJzVIvRkVpefatUkQWVn9iK5juDNlycdCoUY/M1a0WzvLpJhqtnb2rpJ+5a2u2kDL2Jyox9MGsW20tcHyyM9M96s22m3EVwJ0LCYLtDHqR6E11ShCzSdv69ep9FVyx20t/XzOmOnOFylzIMf3gCP0waiFvfAZASQBsgKMH/GsyzvL6yLD5pAT03nH65rYt9SuJlIe2+Y9SBXJKnJdUzzqmX1Vqo/cQ3e/yGjzFDIRwyjLKf+BDFRSwW81vvltXKheXxkH1PcCrV5dTJGnl2fmZcCQOxACdzwpyfbj61iafDfjXbu8k1bzbKQYis0iVDCR3Djkg88H1pxpS5W3p/Xl+uhg6DUbSdvXf8hTYxYBjuJUXGRsYjI/AgGqltbasL24WXUE+zkKIcvuJHOQw24HXsTW/qMEd3G0E0geJgMrMM/kw56+9N+zx+WivahlQAbopCTj+v4mhVUlYyScb26mPdaldaFZebO0X2RM58qNsKMEknbnA464rO03x/ZnUvtTeIrY2r/ultmaMASDuGbDdxxg10UsNrIeGwR1UuVP68frWQtnm8lgmsZbe3iIaKeYRmOT/AHcHcD9QK1pxoyi+eN38v8nr6G1BxSfMnfvdfqi+/jS4PiCG3866gjiQtLC1kTHKD0PmY+Uj0z+FbEPirRL6VkdLaV0ODtwSp9DWTJYNccrcwTkjOW4P6ZrPl0rLEG3QkHqhFc7oUJJWVrf15BKrKWiWxraTZqqB3wMfrVu4vLZE2/KfTFNu28qDYvBxgVzmpTfeIPAGBXUo87uz7iaSNmC4t3k+Yj16VtW19ZRoNhUE8nJrzcO6jO8g/WkSeYsAJG605YZS6kpJHo11q1uils9RkVxPibxbFkoCAR+prA8R6nNEgRZOQMVxF1NNNMXeTdXbhcDf3mc1aqn7trndJ4jvLmMwNcv5bDAwxBH0I5BrUs/FFtYwol1JM4RdplLbm49TXndqs6Kr7xz0FUfFF29rpdxcylmWJCxSMZJ9hXX9TjVkodzhnhqUou8bHrEPjLQ9RRks9YsjcdFWZsMfbBw35VdiubC4la0EqLcbAzIsnJHrjuK+bdIjg1a3jnj067LOhk25Qso+fqN2eiMcY6Y9RWtY6jeaPiSHUNQsoFPLyo6wjlh1Ybf4W5/2TXXW4blTXuKS+X+R50sLBrRo97jsGtpxNbzI2Rt25wMfTpVC48OWMk7zrb3ltI7bma0vZY8n1wrAfpXBaV45u3iDRXlnfju8UgJJ+ozW1B47lGPPtZB/usG/nivM+q4qi3Z/oY+xrQelz//Z";

export function warmupJpeg(): Uint8Array {
  const bin = atob(WARMUP_JPEG_BASE64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/**
 * Runs the image pipeline once on a tiny JPEG, the way a photo of 640 px or more goes through it: a decode
 * at 1/2 (libjpeg-turbo's 4×4 IDCT for luma, the full one for 4:2:0 chroma), colour conversion, EXIF
 * orientation, the resampling over the reduced image, the tensor and the quality measures — so that V8 has
 * compiled that code (and collected type feedback) before the isolate's first real photo. In fresh Node
 * processes (5 each, CPU time, 16:04 UTC) it cost 45 ms and took 48 ms off the first 1024-px photo's 177 ms
 * (docs/benchmarks.md): the cost moves to startup, which Cloudflare runs while the TLS handshake is still
 * going on, it is not saved. The full-size path and the other scales were left out: all four scales and
 * both resampling paths cost 85 ms of startup for 63 ms less on that photo. Called at module scope
 * (src/index.ts); returns its duration in ms.
 */
export function warmUpImagePipeline(preprocessing: Preprocessing, rounds = 1): number {
  const t0 = performance.now();
  const bytes = warmupJpeg();
  for (let r = 0; r < rounds; r++) {
    imageToTensor(bytes, preprocessing, { minScaledSide: 32 }); // 96×64 at 1/2: spans over the reduced image
  }
  return performance.now() - t0;
}
