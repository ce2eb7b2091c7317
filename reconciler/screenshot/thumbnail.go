package screenshot

import (
	"bytes"
	"fmt"
	"image"
	"image/color/palette"
	"image/draw"
	"image/png"
)

// The stored picture's size and its byte budget.
const (
	ThumbWidth  = 480
	ThumbHeight = 300
	MaxBytes    = 100 << 10
)

// Thumbnail downscales a capture to ThumbWidth x ThumbHeight (box filter:
// each pixel is the average of the source pixels it covers) and encodes it
// as a PNG of at most MaxBytes: full colour when it fits, else 256 colours,
// else 256 colours at 320x200 (which always fits).
func Thumbnail(img image.Image) ([]byte, error) {
	if img.Bounds().Empty() {
		return nil, fmt.Errorf("thumbnail: empty picture")
	}
	small := Scale(img, ThumbWidth, ThumbHeight)
	out, err := encode(small)
	if err != nil || len(out) <= MaxBytes {
		return out, err
	}
	if out, err = encode(quantize(small)); err != nil || len(out) <= MaxBytes {
		return out, err
	}
	out, err = encode(quantize(Scale(img, ThumbWidth*2/3, ThumbHeight*2/3)))
	if err == nil && len(out) > MaxBytes {
		return nil, fmt.Errorf("thumbnail: %d bytes, over the %d byte budget", len(out), MaxBytes)
	}
	return out, err
}

func encode(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("thumbnail: %w", err)
	}
	return buf.Bytes(), nil
}

// quantize maps img onto a 256-colour palette (no dithering: flat areas
// stay flat and compress well).
func quantize(img *image.RGBA) *image.Paletted {
	p := image.NewPaletted(img.Bounds(), palette.Plan9)
	draw.Draw(p, p.Rect, img, img.Rect.Min, draw.Src)
	return p
}

// Scale resizes img to w x h with a box filter: each destination pixel
// averages the source pixels whose area it covers (with fractional
// weights at the edges), which is what a downscale wants.
func Scale(img image.Image, w, h int) *image.RGBA {
	b := img.Bounds()
	src, ok := img.(*image.RGBA)
	if !ok || src.Rect.Min != (image.Point{}) {
		src = image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(src, src.Rect, img, b.Min, draw.Src)
	}
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xw := spans(sw, w)
	yw := spans(sh, h)
	var acc [4]float64
	for dy := range h {
		for dx := range w {
			acc = [4]float64{}
			total := 0.0
			for _, ys := range yw[dy] {
				row := src.Pix[ys.i*src.Stride:]
				for _, xs := range xw[dx] {
					wgt := ys.w * xs.w
					p := row[xs.i*4 : xs.i*4+4]
					acc[0] += wgt * float64(p[0])
					acc[1] += wgt * float64(p[1])
					acc[2] += wgt * float64(p[2])
					acc[3] += wgt * float64(p[3])
					total += wgt
				}
			}
			o := dst.Pix[dy*dst.Stride+dx*4:]
			for c := range 4 {
				o[c] = uint8(acc[c]/total + 0.5)
			}
		}
	}
	return dst
}

type span struct {
	i int     // source index
	w float64 // the share of it covered
}

// spans lists, for each of n destination cells over src source cells, the
// source cells it covers and how much of each.
func spans(src, n int) [][]span {
	out := make([][]span, n)
	scale := float64(src) / float64(n)
	for d := range n {
		lo, hi := float64(d)*scale, float64(d+1)*scale
		for i := int(lo); i < src && float64(i) < hi; i++ {
			w := min(hi, float64(i+1)) - max(lo, float64(i))
			if w > 0 {
				out[d] = append(out[d], span{i, w})
			}
		}
		if len(out[d]) == 0 { // upscaling: the nearest source cell
			out[d] = []span{{min(int(lo), src-1), 1}}
		}
	}
	return out
}
