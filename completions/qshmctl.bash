# bash completion for qshmctl(1).  Commands, options, option values,
# object names (/dev/shm and parked @N) and handles all come from
# `qshmctl __complete`, which reads the command table and asks the broker
# (never starting one), so this file never needs to change with qshmctl.

_qshmctl()
{
	local cur words cands
	cur=${COMP_WORDS[COMP_CWORD]}
	words=("${COMP_WORDS[@]:1:COMP_CWORD}")
	mapfile -t cands < <("${COMP_WORDS[0]}" __complete -- "${words[@]}" \
	    2>/dev/null)
	if [[ ${cands[0]} == :files ]]; then
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		compopt -o filenames 2>/dev/null
		return 0
	fi
	local IFS=$'\n'
	mapfile -t COMPREPLY < <(compgen -W "${cands[*]}" -- "$cur")
}

complete -F _qshmctl qshmctl
