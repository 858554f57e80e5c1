# zsh capture.zsh SCRIPT LINE: what zsh's completion system offers when TAB
# is pressed at the end of LINE, in an interactive zsh (on a pty) that has
# run compinit and sourced SCRIPT. Prints one candidate a line.
zmodload zsh/zpty || exit 3
local script=$1 cmdline=$2
local init=${TMPDIR:-/tmp}/gettoken-capture-$$.zsh
cat >$init <<'INIT'
PROMPT='' RPROMPT='' PS2=''
autoload -Uz compinit && compinit -u -D
bindkey '^I' complete-word
_gt_mark() { print -r -- '@@MARK@@' }
compprefuncs=(_gt_mark)
comppostfuncs=(_gt_mark)
# Every candidate passes through compadd: show what it keeps, then add it.
compadd() {
  if (( ${@[(I)-O]} + ${@[(I)-A]} + ${@[(I)-D]} )); then
    builtin compadd "$@"; return
  fi
  local -a _gt_hits
  builtin compadd -O _gt_hits "$@"
  local h; for h in $_gt_hits; do print -r -- "@@CANDIDATE@@ $h"; done
  builtin compadd "$@"
}
INIT
print -r -- "source ${(q)script}" >>$init
print -r -- "print -r -- @@READY@@" >>$init
zpty gt zsh -f -i
zpty -w gt "source ${(q)init}"
local line marks=0
while zpty -r gt line; do [[ $line == *@@READY@@* && $line != *print* ]] && break; done
zpty -w -n gt "$cmdline"$'\t'
while zpty -r gt line; do
  line=${line%$'\r'}
  line=${line%$'\n'}
  [[ $line == *'@@CANDIDATE@@ '* ]] && print -r -- "${line#*@@CANDIDATE@@ }"
  [[ $line == *@@MARK@@* ]] && (( ++marks == 2 )) && break
done
zpty -d gt
rm -f $init
