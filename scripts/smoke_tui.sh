#!/usr/bin/env bash
# See what a user sees: start the real termcrm app in tmux on a demo database,
# type a search, open a client card, and print each screen as text.
#
#   scripts/smoke_tui.sh [WIDTHxHEIGHT] [LOCALE]      e.g. scripts/smoke_tui.sh 80x24 ru
#
# Uses a throw-away database and state directory under a temp dir; needs tmux.
set -euo pipefail
size="${1:-80x24}"
locale="${2:-en}"
width="${size%x*}"
height="${size#*x}"
here="$(cd "$(dirname "$0")/.." && pwd)"
termcrm="${TERMCRM_BIN:-$here/.venv/bin/termcrm}"
work="$(mktemp -d)"
session="termcrm-smoke-$$"
sock="termcrm-smoke-$$"  # a tmux server of its own: never touches the user's sessions
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

export TERMCRM_DATABASE_URL="$work/demo.db" TERMCRM_LOCALE="$locale" XDG_STATE_HOME="$work/state"
"$termcrm" demo --clients 300 >/dev/null

show() {  # wait for the screen to settle, then print it under a heading
    sleep "${2:-1.5}"
    echo "── $1 ──"
    tmux -L "$sock" capture-pane -p -t "$session"
}

tmux -L "$sock" new-session -d -s "$session" -x "$width" -y "$height" \
    "env TERMCRM_DATABASE_URL='$TERMCRM_DATABASE_URL' TERMCRM_LOCALE='$locale' XDG_STATE_HOME='$XDG_STATE_HOME' TERM=xterm-256color '$termcrm'"
show "the card file" 3
tmux -L "$sock" send-keys -t "$session" "/"
tmux -L "$sock" send-keys -t "$session" -l "${SMOKE_QUERY:-ром}"
show "a search typed"
tmux -L "$sock" send-keys -t "$session" Enter
sleep 0.5
tmux -L "$sock" send-keys -t "$session" Enter
show "the client card"
tmux -L "$sock" send-keys -t "$session" Escape
sleep 0.5
tmux -L "$sock" send-keys -t "$session" "l"
show "the quick-log dialog"
tmux -L "$sock" send-keys -t "$session" Escape
sleep 0.5
tmux -L "$sock" send-keys -t "$session" C-q
