class ApiError(Exception):
    """A refusal, answered in the API's one error shape: {"error": {"code": ..., "message": ...}}."""

    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}
