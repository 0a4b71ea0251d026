package main

//go:generate go run . gendocs --dir ../../docs

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence/safe"
)

// Generated reference pages, relative to the docs directory.
const (
	docsMarkdown = "trailcase.md"
	docsMan      = "trailcase.1"
)

func gendocsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "gendocs",
		Usage:     "write the markdown and man reference pages",
		UsageText: "trailcase gendocs [--dir DIR]",
		Hidden:    true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Value: "docs", Usage: "write into `DIR`"},
		},
		Action: func(c *cli.Context) error {
			return runGendocs(c.Context, gendocsOptions{dir: c.String("dir")}, e.streams(c))
		},
	}
}

// gendocsOptions are the flags of one gendocs run.
type gendocsOptions struct {
	dir string
}

func runGendocs(_ context.Context, o gendocsOptions, s *streams) error {
	pages, err := referencePages()
	if err != nil {
		return err
	}
	for name, body := range pages {
		p := filepath.Join(o.dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return fmt.Errorf("write %q: %w", p, err)
		}
		fmt.Fprintf(s.stderr, "trailcase: wrote %s\n", safe.Text(p))
	}
	return nil
}

// referencePages renders the CLI reference from the command definitions.
func referencePages() (map[string]string, error) {
	app := newApp(io.Discard, io.Discard)
	md, err := app.ToMarkdown()
	if err != nil {
		return nil, fmt.Errorf("render markdown reference: %w", err)
	}
	man, err := app.ToManWithSection(1)
	if err != nil {
		return nil, fmt.Errorf("render man page: %w", err)
	}
	header := "<!-- Generated from the CLI definition by 'go generate ./cmd/trailcase'; do not edit. -->\n\n"
	return map[string]string{docsMarkdown: header + md, docsMan: man}, nil
}
