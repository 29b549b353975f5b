package policyhcl

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Options tune Load.
type Options struct {
	// KnownChecks are the check names and ids (e.g. "untracked-session",
	// "SC1001") a check block may be labelled with. nil accepts any label.
	KnownChecks []string
	// CheckIDs maps each label a check block may have to the id of its
	// check, so that two blocks for one check (one by id, one by name) are
	// refused like two blocks with the same label. nil: labels only.
	CheckIDs map[string]string
	// MinComplianceChecks are the ids of the checks that read
	// min_compliance (nil: not known, no check of it); on another check's
	// block it is warned about, as it would change nothing.
	MinComplianceChecks []string
	// FixedChecks are the ids of the checks a policy cannot configure; a
	// block for one is warned about, as it would change nothing.
	FixedChecks []string
	// RequireProfile makes a policy without a profile block an error: it
	// maps no role, so a check of it would pass by checking nothing (the
	// commands set it; a fragment of a policy may lack profiles).
	RequireProfile bool
}

// Limits that keep a hostile or broken file from exhausting the machine.
const (
	// MaxFileSize is the largest policy file read, in bytes.
	MaxFileSize = 1 << 20
	// MaxNesting is the deepest bracket, brace or interpolation nesting
	// accepted. The HCL parser recurses on nesting, so a deeper file is
	// refused before it is parsed.
	MaxNesting = 64
	// MaxStringParts caps the parts of one string or heredoc: its
	// lines, $${ and %%{ escapes, and interpolations. The HCL parser takes
	// time that grows with the square of their number, so a longer string
	// is refused before it is parsed.
	MaxStringParts = 1000
	// MaxPatternLength caps identity patterns and globs, in bytes.
	MaxPatternLength = 1024
)

// Load reads policy files and folders. A folder contributes its *.hcl
// files (not recursive). All files are evaluated in the lexical order of
// their full paths; a file named twice (by two spellings, or through a
// link) is read once. A missing path, an
// unreadable file, or a folder without *.hcl files is an error diagnostic
// naming it.
//
// The returned Policy is never nil. When the diagnostics hold errors it is
// partial and only fit for showing the diagnostics (see HCLFiles).
func Load(paths []string, opts Options) (*Policy, hcl.Diagnostics) {
	if len(paths) == 0 {
		return newPolicy(), hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "No policy given",
			Detail:   "No policy file or folder was given; name a .hcl file or a folder of .hcl files.",
		}}
	}
	names, diags := Files(paths)
	files := make([]namedSource, 0, len(names))
	for _, name := range names {
		src, d := ReadFile(name)
		if d != nil {
			diags = append(diags, d)
			continue
		}
		files = append(files, namedSource{name, src})
	}
	p, d := load(files, opts)
	return p, append(diags, d...)
}

// ReadFile reads one policy file that Files listed, as Load reads it: a
// file that cannot be read (a dangling link, a file larger than
// MaxFileSize) is an error diagnostic naming it.
func ReadFile(name string) ([]byte, *hcl.Diagnostic) {
	src, err := readCapped(name)
	if err != nil {
		return nil, pathError(name, "Unreadable policy file", "Cannot read policy file %q: %v.", name, err)
	}
	return src, nil
}

// Files lists the policy files that paths name: a file as given, a folder's
// *.hcl files (not recursive), each once, in lexical order. A missing path,
// an unreadable folder or a folder without .hcl files is an error
// diagnostic that names it.
func Files(paths []string) ([]string, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var names []string
	var infos []os.FileInfo
	// A file is read once however it is named: by two spellings
	// (p.hcl and $PWD/p.hcl), or through a link.
	addFile := func(name string, info os.FileInfo) {
		for _, o := range infos {
			if os.SameFile(o, info) {
				return
			}
		}
		names, infos = append(names, name), append(infos, info)
	}
	for _, p := range paths {
		clean := filepath.Clean(p)
		info, err := os.Stat(clean)
		if err != nil {
			diags = append(diags, pathError(p, "Policy path not found", "Cannot read policy path %q: %v. Name an existing .hcl file or a folder of .hcl files.", p, unwrapPathError(err)))
			continue
		}
		if !info.IsDir() {
			addFile(clean, info)
			continue
		}
		entries, err := os.ReadDir(clean)
		if err != nil {
			diags = append(diags, pathError(p, "Unreadable policy folder", "Cannot list policy folder %q: %v.", p, unwrapPathError(err)))
			continue
		}
		n := 0
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".hcl") {
				continue
			}
			name := filepath.Join(clean, e.Name())
			// A named pipe or a device found in a folder is never opened:
			// reading one could wait forever.
			fi, err := os.Stat(name)
			if err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
				diags = append(diags, pathError(filepath.Join(p, e.Name()), "Policy file is not a regular file", "Policy file %q in folder %q is a %s, not a regular file; remove it from the folder, or name it with --policy to read it as given.", e.Name(), p, fileKind(fi.Mode())))
				n++
				continue
			}
			if err != nil {
				// A dangling link: ReadFile names it.
				names = append(names, name)
			} else {
				addFile(name, fi)
			}
			n++
		}
		if n == 0 {
			diags = append(diags, pathError(p, "No policy files in folder", "Policy folder %q has no .hcl files (its sub-folders are not read). Add a policy file ending in .hcl, or name the file itself.", p))
		}
	}
	sort.Strings(names)
	return names, diags
}

// LoadSources is Load over in-memory files; the names are used in
// diagnostics and the files are taken in lexical order of name.
func LoadSources(files map[string][]byte, opts Options) (*Policy, hcl.Diagnostics) {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	srcs := make([]namedSource, 0, len(names))
	var diags hcl.Diagnostics
	for _, name := range names {
		if len(files[name]) > MaxFileSize {
			diags = append(diags, pathError(name, "Policy file too large", "Policy file %q is %d bytes, more than the %d bytes allowed; split it into several files.", name, len(files[name]), MaxFileSize))
			continue
		}
		srcs = append(srcs, namedSource{name, files[name]})
	}
	if len(files) == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No policy given",
			Detail:   "No policy file was given; a policy needs at least one file.",
		})
	}
	p, d := load(srcs, opts)
	return p, append(diags, d...)
}

type namedSource struct {
	name string
	src  []byte
}

func newPolicy() *Policy {
	return &Policy{
		Sources:  map[string][]byte{},
		HCLFiles: map[string]*hcl.File{},
		Identity: defaultIdentity(),
	}
}

func pathError(path, summary, detail string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(detail, args...),
		// Located at the path itself, so that a report (SARIF, a workflow
		// annotation) shows it there and not at another policy file.
		Subject: &hcl.Range{Filename: path, Start: hcl.InitialPos, End: hcl.InitialPos},
	}
}

// fileKind names the type of a file that is not regular.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// unwrapPathError drops the *fs.PathError wrapper, whose text repeats the path.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func readCapped(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, unwrapPathError(err)
	}
	if len(src) > MaxFileSize {
		return nil, fmt.Errorf("file is larger than the %d bytes allowed; split it into several files", MaxFileSize)
	}
	return src, nil
}

// parsed is one parsed file.
type parsed struct {
	name  string
	file  *hcl.File
	diags hcl.Diagnostics
	// text is what was parsed: the source, or its rewrite when it had
	// one-line blocks with several arguments (see relaxSingleLineBlocks).
	text []byte
	// lines maps ranges of a rewritten text back to the source's lines
	// and columns; nil when the source was parsed as it is.
	lines *lineIndex
}

// parse checks the limits (see checkTokens), then parses one file. The file's Bytes
// are always the original source.
func parse(name string, src []byte) parsed {
	if d := checkTokens(name, src); d != nil {
		return parsed{name: name, file: &hcl.File{Body: hcl.EmptyBody(), Bytes: src}, diags: hcl.Diagnostics{d}, text: src}
	}
	file, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if !diags.HasErrors() {
		return parsed{name: name, file: file, diags: diags, text: src}
	}
	mod := relaxSingleLineBlocks(name, src, diags)
	if mod == nil {
		return parsed{name: name, file: file, diags: diags, text: src}
	}
	file, diags = hclsyntax.ParseConfig(mod, name, hcl.InitialPos)
	file.Bytes = src
	li := newLineIndex(src)
	li.fixDiags(diags, name)
	return parsed{name: name, file: file, diags: diags, text: mod, lines: li}
}

// limitError is the error of a file past one of the limits, at r.
func limitError(r hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: &r}
}

// checkTokens refuses, before the file is parsed, files nested deeper
// than MaxNesting (the recursive parser could exhaust the stack) and
// strings of more than MaxStringParts parts (the parser joins a string's
// parts in time that grows with the square of their number: a heredoc of
// 200,000 lines took minutes).
func checkTokens(name string, src []byte) *hcl.Diagnostic {
	tokens, _ := hclsyntax.LexConfig(src, name, hcl.InitialPos)
	depth := 0
	// strs holds, for each string open around the token, its opening
	// token and the parts counted so far (a string may sit inside
	// another's interpolation).
	type open struct {
		start hcl.Range
		parts int
	}
	var strs []open
	for _, t := range tokens {
		switch t.Type {
		case hclsyntax.TokenOQuote, hclsyntax.TokenOHeredoc:
			strs = append(strs, open{start: t.Range})
		case hclsyntax.TokenCQuote, hclsyntax.TokenCHeredoc:
			if len(strs) > 0 {
				strs = strs[:len(strs)-1]
			}
		}
		switch t.Type {
		case hclsyntax.TokenQuotedLit, hclsyntax.TokenStringLit,
			hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl:
			if len(strs) == 0 {
				break
			}
			top := &strs[len(strs)-1]
			if top.parts++; top.parts > MaxStringParts {
				return limitError(top.start, "String too long",
					fmt.Sprintf("This string has more than %d parts (heredoc lines, $${ and %%%%{ escapes, interpolations); a policy string needs only a few. Shorten it.", MaxStringParts))
			}
		}
		switch t.Type {
		case hclsyntax.TokenOBrace, hclsyntax.TokenOBrack, hclsyntax.TokenOParen,
			hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl:
			depth++
			if depth > MaxNesting {
				return limitError(t.Range, "Nesting too deep",
					fmt.Sprintf("This file nests brackets, braces or interpolations more than %d levels deep; a policy needs only a few. Flatten the expression.", MaxNesting))
			}
		case hclsyntax.TokenCBrace, hclsyntax.TokenCBrack, hclsyntax.TokenCParen, hclsyntax.TokenTemplateSeqEnd:
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}
