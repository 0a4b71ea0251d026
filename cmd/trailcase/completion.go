package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// completionOptions are the arguments of one completion run.
type completionOptions struct {
	shell string
	app   *cli.App // for the fish script, generated from the app
}

func completionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash, zsh or fish)",
		UsageText: "trailcase completion bash|zsh|fish",
		Description: `Prints a script that makes the shell complete trailcase's commands and flags.

  bash:  source <(trailcase completion bash)      or save it in /etc/bash_completion.d/trailcase
  zsh:   trailcase completion zsh > "${fpath[1]}/_trailcase"
  fish:  trailcase completion fish > ~/.config/fish/completions/trailcase.fish

` + exitCodesHelp,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("completion needs one shell: bash, zsh or fish")
			}
			return runCompletion(c.Context, completionOptions{shell: c.Args().First(), app: c.App}, e.streams(c))
		},
	}
}

func runCompletion(_ context.Context, o completionOptions, s *streams) error {
	var script string
	switch o.shell {
	case "bash":
		script = bashCompletion
	case "zsh":
		script = zshCompletion
	case "fish":
		var err error
		if script, err = o.app.ToFishCompletion(); err != nil {
			return err
		}
	default:
		return usagef("completion: unknown shell %q: want bash, zsh or fish", o.shell)
	}
	_, err := fmt.Fprint(s.stdout, script)
	return err
}

// flagValues are the values completion offers after a flag, by command
// and flag ("timeline --format"), or by flag alone for every command.
var flagValues = map[string][]string{
	"timeline --format":         {"table", "csv", "jsonl", "timesketch"},
	"timeline --source":         {"cloudtrail", "vpcflow", "elb"},
	"export --format":           {"jsonl", "csv", "parquet", "timesketch"},
	"export -f":                 {"jsonl", "csv", "parquet", "timesketch"},
	"report --format":           {"html", "md", "json"},
	"report -f":                 {"html", "md", "json"},
	"objectlock --require-mode": {"COMPLIANCE", "GOVERNANCE"},
	"--level":                   {"informational", "low", "medium", "high", "critical"},
	"--fail-on":                 {"informational", "low", "medium", "high", "critical"},
	"--paper":                   {"a4", "letter"},
	"--outcome":                 {"success", "error"},
}

// completeValues prints the values of the flag that ends args (the
// command's path, then the flag): what the completion scripts offer
// after it. It never runs a command.
func completeValues(args []string, w io.Writer) int {
	if len(args) == 0 {
		return exitOK
	}
	flag := args[len(args)-1]
	vals, ok := flagValues[strings.Join(args, " ")]
	if !ok {
		vals = flagValues[flag]
	}
	for _, v := range vals {
		fmt.Fprintln(w, v)
	}
	return exitOK
}

// The bash and zsh scripts ask trailcase itself for the candidates
// (urfave/cli's --generate-bash-completion), so they follow the commands
// and flags of the installed version. They pass only the command (and a
// subcommand trailcase itself listed) and the word being completed, never
// the other arguments, so completing can never run a command.
const bashCompletion = `# bash completion for trailcase
_trailcase_complete() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prog="${COMP_WORDS[0]}"
    local -a path=()
    local i w skip=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${COMP_WORDS[i]}"
        if ((skip)); then skip=0; continue; fi
        case "$w" in
        --case|--examiner) skip=1; continue ;;
        -*) continue ;;
        esac
        if ((${#path[@]} == 0)); then
            path=("$w")
        elif ((${#path[@]} == 1)) && "$prog" "${path[0]}" --generate-bash-completion 2>/dev/null | grep -qxF -- "$w"; then
            path+=("$w")
        fi
    done
    local prev="${COMP_WORDS[COMP_CWORD-1]}" values
    if [[ "$prev" == -* ]]; then
        values=$("$prog" __values "${path[@]}" "$prev" 2>/dev/null)
        if [[ -n "$values" ]]; then
            local IFS=$'\n'
            COMPREPLY=($(compgen -W "$values" -- "$cur"))
            return
        fi
    fi
    local candidates
    if [[ "$cur" == --* ]]; then
        candidates=$("$prog" "${path[@]}" "$cur" --generate-bash-completion 2>/dev/null)
    else
        candidates=$("$prog" "${path[@]}" --generate-bash-completion 2>/dev/null)
    fi
    local IFS=$'\n'
    COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
}
complete -o default -o bashdefault -F _trailcase_complete trailcase
`

const zshCompletion = `#compdef trailcase
# zsh completion for trailcase
_trailcase() {
    local cur=${words[CURRENT]} prog=${words[1]}
    local -a path_ candidates
    local i w skip=0
    for ((i = 2; i < CURRENT; i++)); do
        w=${words[i]}
        if ((skip)); then skip=0; continue; fi
        case $w in
        --case|--examiner) skip=1; continue ;;
        -*) continue ;;
        esac
        if ((${#path_} == 0)); then
            path_=($w)
        elif ((${#path_} == 1)) && $prog $path_[1] --generate-bash-completion 2>/dev/null | grep -qxF -- "$w"; then
            path_+=($w)
        fi
    done
    local prev=${words[CURRENT-1]}
    if [[ $prev == -* ]]; then
        candidates=("${(@f)$($prog __values $path_ $prev 2>/dev/null)}")
        if [[ -n ${candidates[1]} ]]; then
            compadd -a candidates
            return
        fi
    fi
    if [[ $cur == --* ]]; then
        candidates=("${(@f)$(_CLI_ZSH_AUTOCOMPLETE_HACK=1 $prog $path_ $cur --generate-bash-completion 2>/dev/null)}")
    else
        candidates=("${(@f)$(_CLI_ZSH_AUTOCOMPLETE_HACK=1 $prog $path_ --generate-bash-completion 2>/dev/null)}")
    fi
    if [[ -n ${candidates[1]} ]]; then
        _describe 'trailcase' candidates
    fi
    _files
}
if [[ $funcstack[1] == _trailcase ]]; then
    _trailcase "$@"
else
    compdef _trailcase trailcase
fi
`
