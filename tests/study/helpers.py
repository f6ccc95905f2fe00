"""A member studying through the real endpoints, with the CSRF header the page's JS sends."""

from dataclasses import dataclass

from tests.conftest import Auth


@dataclass
class Studier:
    client: object
    token: str

    @classmethod
    def login(cls, client, username: str) -> "Studier":
        auth = Auth(client)
        response = auth.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return cls(client, auth.csrf("/profile"))

    def post(self, path: str, payload=None):
        return self.client.post(path, json=payload or {}, headers={"X-CSRFToken": self.token})

    def start(self, lesson_id: int) -> str:
        response = self.post(f"/study/lessons/{lesson_id}/sessions")
        assert response.status_code == 201, response.status_code
        return response.get_json()["session"]

    def beat(self, session_id: str, seq: int, **payload):
        return self.post(f"/study/sessions/{session_id}/beats", {"seq": seq, **payload})

    def progress(self, lesson_id: int) -> dict:
        return self.client.get(f"/study/lessons/{lesson_id}/progress").get_json()
