"""The one error type for bad user input: printed as one line, exit status 2."""


class UserError(Exception):
    """Bad input a user can fix: `error: <where>: <what> (<hint>)`.

    `where` is `path:LINE` for a row of a file (physical line, header = 1),
    the path for a whole file, or the dotted config key.
    """

    def __init__(self, where: str, what: str, hint: str = "", details: str = ""):
        self.where, self.what, self.hint = str(where), what, hint
        self.details = details  # longer log shown only with --debug
        super().__init__(self.line())

    def line(self) -> str:
        text = f"error: {self.where}: {self.what}"
        return f"{text} ({self.hint})" if self.hint else text
