"""The write half of the API: command routes (``routes.py``), who may send what and the command
it becomes (``plans.py``), starting it once (``submission.py``), and its status
(``status.py``, ``command_view.py``, ``my_commands.py``)."""
