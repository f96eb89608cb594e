package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math"
	"slices"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Contrast is the measured text contrast of an element whose contrast
// axe-core could not decide (its result "incomplete": text over a gradient,
// an image, or another element).
type Contrast struct {
	Target string  `json:"target"`
	HTML   string  `json:"html"`
	Why    string  `json:"why"` // axe-core's reason, e.g. bgGradient
	Color  string  `json:"color"`
	Ratio  float64 `json:"ratio"` // the lowest contrast of the text colour against any background pixel behind the text
	Need   float64 `json:"need"`  // 4.5, or 3 for large text (WCAG 2.1 SC 1.4.3)
	// Unmeasured says why no ratio could be measured (an element with no
	// visible text box, a translucent text colour); such a result fails.
	Unmeasured string `json:"unmeasured"`
}

// OK reports whether the contrast meets WCAG 2.1 AA.
func (c Contrast) OK() bool { return c.Unmeasured == "" && c.Ratio >= c.Need }

func (c Contrast) String() string {
	if c.Unmeasured != "" {
		return fmt.Sprintf("%s (axe: %s): not measured: %s: %s", c.Target, c.Why, c.Unmeasured, abbrev(c.HTML, 120))
	}
	return fmt.Sprintf("%s (axe: %s): contrast %.2f:1, need %.1f:1, text %s: %s", c.Target, c.Why, c.Ratio, c.Need, c.Color, abbrev(c.HTML, 120))
}

// textBox is the part of the page behind an element's text, in document
// coordinates; Clipped: a scrolling ancestor hides part of it.
type textBox struct {
	X, Y, W, H float64
	Clipped    bool
}

type undecided struct {
	Contrast
	Index int       `json:"index"`
	Boxes []textBox `json:"boxes"`
}

// UndecidedContrast settles what axe-core's color-contrast rule left
// undecided: it hides the text of each such element, photographs what is
// behind the text's boxes, and measures the text colour against the worst
// pixel there. It returns one result per element; see Contrast.OK.
func (p *Page) UndecidedContrast() []Contrast {
	p.tb.Helper()
	if !Eval[bool](p, `typeof window.axe === "object"`) {
		Eval[bool](p, axeSource+"\n;true")
	}
	list := Eval[[]undecided](p, textBoxesJS+`axe.run(document, {runOnly: {type: "rule", values: ["color-contrast"]}, resultTypes: ["incomplete"]})
.then(r => {
  const out = [];
  let i = 0;
  for (const v of r.incomplete) for (const n of v.nodes) {
    const sel = n.target[n.target.length - 1];
    const el = typeof sel === "string" ? document.querySelector(sel) : null;
    const d = ((n.any[0] || {}).data) || {};
    const c = {index: i, target: n.target.join(" "), html: n.html, why: d.messageKey || (n.any[0] || {}).message || "",
      color: "", ratio: 0, need: 4.5, unmeasured: "", boxes: []};
    out.push(c);
    if (!el) { c.unmeasured = "element not found"; continue; }
    el.setAttribute("data-bt-contrast", String(i++));
    const cs = getComputedStyle(el);
    const size = parseFloat(cs.fontSize), weight = parseInt(cs.fontWeight, 10) || 400;
    c.need = (size >= 24 || (size >= 18.66 && weight >= 700)) ? 3 : 4.5;
    c.color = cs.color;
    c.boxes = window.browserTestTextBoxes(el);
  }
  // Hide the text only after every box is measured.
  for (const el of document.querySelectorAll("[data-bt-contrast]")) {
    el.style.setProperty("color", "transparent", "important");
    el.style.setProperty("-webkit-text-fill-color", "transparent", "important");
    el.style.setProperty("text-shadow", "none", "important");
  }
  return out;
})`)
	defer Eval[bool](p, `(() => { for (const el of document.querySelectorAll("[data-bt-contrast]")) {
  for (const k of ["color", "-webkit-text-fill-color", "text-shadow"]) el.style.removeProperty(k);
  el.removeAttribute("data-bt-contrast"); } return true; })()`)

	// One picture of the whole page serves every box no scrolling
	// ancestor hides; the others are scrolled into view one by one.
	var page image.Image
	res := make([]Contrast, 0, len(list))
	for _, u := range list {
		c := u.Contrast
		if c.Unmeasured != "" {
			res = append(res, c)
			continue
		}
		fg, ok := parseRGB(c.Color)
		if !ok {
			c.Unmeasured = "text colour " + c.Color + " is not opaque rgb()"
			res = append(res, c)
			continue
		}
		if len(u.Boxes) == 0 {
			c.Unmeasured = "no visible text box"
			res = append(res, c)
			continue
		}
		c.Ratio = math.Inf(1)
		for _, b := range u.Boxes {
			if b.Clipped {
				continue
			}
			if page == nil {
				page = p.photograph(nil)
			}
			c.Ratio = min(c.Ratio, lowestContrast(crop(page, b), fg))
		}
		if slices.ContainsFunc(u.Boxes, func(b textBox) bool { return b.Clipped }) {
			boxes := Eval[[]textBox](p, textBoxesJS+fmt.Sprintf(`(() => {
  const el = document.querySelector('[data-bt-contrast="%d"]');
  el.scrollIntoView({block: "center", inline: "center"});
  return window.browserTestTextBoxes(el);
})()`, u.Index))
			for _, b := range boxes {
				if b.Clipped {
					c.Unmeasured = "its text is hidden by a scrolling box even when scrolled into view"
					break
				}
				c.Ratio = min(c.Ratio, lowestContrast(p.photograph(&b), fg))
			}
			page = nil // the scrolling moved things
		}
		res = append(res, c)
	}
	return res
}

// textBoxesJS defines window.browserTestTextBoxes(el): the boxes of el's
// text in document coordinates (a form control's content box), each
// marked Clipped when a scrolling ancestor hides part of it.
const textBoxesJS = `window.browserTestTextBoxes = (el) => {
  const rects = [];
  if (el.matches("input, select, textarea, button")) {
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    const px = (v) => parseFloat(v) || 0;
    rects.push(new DOMRect(r.left + px(cs.borderLeftWidth) + px(cs.paddingLeft), r.top + px(cs.borderTopWidth) + px(cs.paddingTop),
      r.width - px(cs.borderLeftWidth) - px(cs.paddingLeft) - px(cs.paddingRight) - px(cs.borderRightWidth),
      r.height - px(cs.borderTopWidth) - px(cs.paddingTop) - px(cs.paddingBottom) - px(cs.borderBottomWidth)));
  } else {
    const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      if (!n.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      rects.push(...range.getClientRects());
    }
  }
  const out = [];
  for (const r of rects) {
    if (r.width < 1 || r.height < 1) continue;
    let clipped = false;
    for (let a = el.parentElement; a && !clipped; a = a.parentElement) {
      if (getComputedStyle(a).overflowX === "visible" && getComputedStyle(a).overflowY === "visible") continue;
      const c = a.getBoundingClientRect();
      clipped = r.left < c.left || r.right > c.right || r.top < c.top || r.bottom > c.bottom;
    }
    out.push({X: r.left + window.scrollX, Y: r.top + window.scrollY, W: r.width, H: r.height, Clipped: clipped});
  }
  return out;
};
`

// photograph captures the box b of the page in document coordinates, or
// the whole page when b is nil.
func (p *Page) photograph(b *textBox) image.Image {
	p.tb.Helper()
	clip := page.Viewport{Scale: 1}
	if b != nil {
		clip.X, clip.Y, clip.Width, clip.Height = b.X, b.Y, b.W, b.H
	} else {
		size := Eval[[2]float64](p, `[document.documentElement.scrollWidth, document.documentElement.scrollHeight]`)
		clip.Width, clip.Height = size[0], size[1]
	}
	shot := Run(p, "photograph the page", func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Clip: &clip, CaptureBeyondViewport: new(true), FromSurface: new(true),
		})
		return r.Data, err
	})
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		p.tb.Fatalf("browsertest: decode a screenshot: %v", err)
	}
	return img
}

// crop is the part of the whole-page picture under box b.
func crop(img image.Image, b textBox) image.Image {
	r := image.Rect(int(math.Floor(b.X)), int(math.Floor(b.Y)), int(math.Ceil(b.X+b.W)), int(math.Ceil(b.Y+b.H)))
	if s, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return s.SubImage(r.Intersect(img.Bounds()))
	}
	return img
}

// lowestContrast is the lowest WCAG contrast ratio of fg against the
// pixels of img.
func lowestContrast(img image.Image, fg [3]float64) float64 {
	lf := luminance(fg)
	worst := math.Inf(1)
	seen := map[[3]uint8]bool{}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			px := [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}
			if seen[px] {
				continue
			}
			seen[px] = true
			lb := luminance([3]float64{float64(px[0]), float64(px[1]), float64(px[2])})
			hi, lo := max(lf, lb), min(lf, lb)
			worst = min(worst, (hi+0.05)/(lo+0.05))
		}
	}
	return worst
}

// luminance is the WCAG relative luminance of an sRGB colour (0–255).
func luminance(c [3]float64) float64 {
	lin := func(v float64) float64 {
		v /= 255
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c[0]) + 0.7152*lin(c[1]) + 0.0722*lin(c[2])
}

// parseRGB reads a computed colour "rgb(r, g, b)" (or rgba with alpha 1).
func parseRGB(s string) ([3]float64, bool) {
	var c [3]float64
	s = strings.TrimSpace(s)
	var a float64 = 1
	switch {
	case strings.HasPrefix(s, "rgba("):
		if n, _ := fmt.Sscanf(s, "rgba(%g, %g, %g, %g)", &c[0], &c[1], &c[2], &a); n != 4 {
			return c, false
		}
	case strings.HasPrefix(s, "rgb("):
		if n, _ := fmt.Sscanf(s, "rgb(%g, %g, %g)", &c[0], &c[1], &c[2]); n != 3 {
			return c, false
		}
	default:
		return c, false
	}
	return c, a == 1
}
