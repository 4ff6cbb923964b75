from ..shared_code.greetings import greeting


def say_hello(name: str) -> str:
    return greeting(name)
