package mm7

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"mime"
	"strings"
)

// SMIL regions of the generated presentation: pictures and video above,
// text below, the layout handsets of the MMS conformance profile (OMA MMS
// CONF, the "MMS SMIL" subset) all render.
const smilHead = `<smil>
  <head>
    <layout>
      <root-layout width="100%" height="100%"/>
      <region id="Image" top="0%" left="0%" width="100%" height="70%" fit="meet"/>
      <region id="Text" top="70%" left="0%" width="100%" height="30%" fit="scroll"/>
    </layout>
  </head>
  <body>
`

// slideDuration is how long each generated slide shows.
const slideDuration = "5000ms"

// kind of a media part in a slide: a slide holds at most one of each.
func smilElement(mediaType string) (elem, region string) {
	switch {
	case strings.HasPrefix(mediaType, "image/"):
		return "img", "Image"
	case strings.HasPrefix(mediaType, "video/"):
		return "video", "Image"
	case strings.HasPrefix(mediaType, "text/"):
		return "text", "Text"
	case strings.HasPrefix(mediaType, "audio/"):
		return "audio", ""
	}
	return "ref", ""
}

// Presentation wraps media parts into the MMS content a handset expects: a
// multipart/related whose start part is a generated SMIL document showing
// the parts in order, one slide per picture (with the text that follows
// it) (TS 23.140 clause 8 carries the MM content as is; the presentation is
// OMA MMS's). Parts without a Content-ID or Content-Location get one.
func Presentation(parts []*Entity, boundary string) *Entity {
	var body bytes.Buffer
	body.WriteString(smilHead)
	open := map[string]bool{}
	inSlide := false
	for i, p := range parts {
		mt, params := p.MediaType()
		if p.ContentID() == "" {
			p.Set("Content-ID", fmt.Sprintf("<part%d>", i+1))
		}
		if strings.TrimSpace(p.Get("Content-Location")) == "" {
			p.Set("Content-Location", partName(p, params, mt, i+1))
		}
		elem, region := smilElement(mt)
		if !inSlide || open[elem] || (region != "" && open[region]) {
			if inSlide {
				body.WriteString("    </par>\n")
			}
			body.WriteString(`    <par dur="` + slideDuration + `">` + "\n")
			open, inSlide = map[string]bool{}, true
		}
		open[elem] = true
		if region != "" {
			open[region] = true
		}
		var src bytes.Buffer
		xml.EscapeText(&src, []byte("cid:"+p.ContentID()))
		body.WriteString(`      <` + elem + ` src="` + src.String() + `"`)
		if region != "" {
			body.WriteString(` region="` + region + `"`)
		}
		body.WriteString("/>\n")
	}
	if inSlide {
		body.WriteString("    </par>\n")
	}
	body.WriteString("  </body>\n</smil>\n")
	smil := &Entity{Header: []Field{
		{"Content-Type", "application/smil; charset=utf-8"},
		{"Content-ID", "<smil>"},
		{"Content-Location", "presentation.smil"},
	}, Body: body.Bytes()}
	return NewMultipart("multipart/related", boundary,
		map[string]string{"type": "application/smil", "start": "<smil>"}, append([]*Entity{smil}, parts...))
}

// partName is the file name a part goes by: its own when it is a safe
// one, else one made from its position and media type. The name comes
// from the sender's message (RFC 2231 lets it hold any byte, line breaks
// included) and becomes a Content-Location header field and a name on
// handsets, so only printable ASCII without quotes, slashes or
// backslashes is kept.
func partName(p *Entity, params map[string]string, mt string, n int) string {
	name := params["name"]
	if name == "" {
		if d := p.Get("Content-Disposition"); d != "" {
			if _, dp, err := mime.ParseMediaType(d); err == nil {
				name = dp["filename"]
			}
		}
	}
	if safeName(name) {
		return name
	}
	ext, ok := extensions[mt]
	if !ok {
		ext = ".bin"
	}
	return fmt.Sprintf("part%d%s", n, ext)
}

func safeName(name string) bool {
	if name == "" || len(name) > 100 || strings.Trim(name, ".") == "" {
		return false
	}
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"\/:;<>?*|`, c) >= 0 {
			return false
		}
	}
	return true
}

// extensions name generated parts; the system's MIME tables would make the
// names differ from machine to machine.
var extensions = map[string]string{
	"text/plain": ".txt", "text/html": ".html", "text/x-vcard": ".vcf", "text/vcard": ".vcf",
	"text/x-vcalendar": ".vcs", "image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
	"image/bmp": ".bmp", "image/vnd.wap.wbmp": ".wbmp", "video/3gpp": ".3gp", "video/mp4": ".mp4",
	"audio/amr": ".amr", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/midi": ".mid",
}

// HasSMIL reports whether content already carries a presentation: a
// multipart/related of type application/smil, or with a SMIL part.
func HasSMIL(content *Entity) bool {
	mt, params := content.MediaType()
	if mt == "application/smil" {
		return true
	}
	if mt != "multipart/related" {
		return false
	}
	if strings.EqualFold(params["type"], "application/smil") {
		return true
	}
	parts, err := content.Parts()
	if err != nil {
		return false
	}
	for _, p := range parts {
		if pm, _ := p.MediaType(); pm == "application/smil" {
			return true
		}
	}
	return false
}
