package screenshot

import (
	"bytes"
	"fmt"
	"image"
	"image/color/palette"
	"image/draw"
	"image/png"

	xdraw "golang.org/x/image/draw"
)

// The stored picture's size and its byte budget.
const (
	ThumbWidth  = 480
	ThumbHeight = 300
	MaxBytes    = 100 << 10
)

// Thumbnail downscales a capture to ThumbWidth x ThumbHeight (Scale) and encodes it
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

// Scale resizes img to w x h with golang.org/x/image's Catmull-Rom
// kernel, which widens with the downscale factor, so each destination
// pixel averages the source pixels it covers (no aliasing).
func Scale(img image.Image, w, h int) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(dst, dst.Rect, img, img.Bounds(), draw.Src, nil)
	return dst
}
