# fish completion for qshmctl(1).  The candidates come from
# `qshmctl __complete`, which reads the command table and asks the broker
# (never starting one) for object names and handles.

function __qshmctl_complete
	set -l words (commandline -opc)
	set -e words[1]
	set -l cur (commandline -ct)
	set -l cands (qshmctl __complete -- $words "$cur" 2>/dev/null)
	if test "$cands[1]" = ":files"
		__fish_complete_path "$cur"
		return
	end
	printf '%s\n' $cands
end

complete -c qshmctl -f -a '(__qshmctl_complete)'
