from kpolicy.entry import command

command()
