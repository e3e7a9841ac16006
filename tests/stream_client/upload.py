"""A file upload as the browser's st.file_uploader sends it.

The front end asks the session for upload URLs (`BackMsg.file_urls_request`), the server
answers `ForwardMsg.file_urls_response`; the file goes by HTTP PUT, multipart form data whose
one field is named after the file, with the XSRF cookie's value in `X-Xsrftoken`; then the
widget's value, a `FileUploaderState` naming the file id, comes with a rerun.
"""

import urllib.request
import uuid

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Common_pb2 import FileUploaderState, UploadedFileInfo


def multipart(name, content):
    """`(body, content type)`: one form field `name` holding the file `name`."""
    boundary = uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n').encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), \
        f"multipart/form-data; boundary={boundary}"


def put_file(url, name, content, cookies, xsrf, timeout=120):
    """PUTs the file to the session's upload URL; raises urllib's HTTPError on a refusal."""
    body, content_type = multipart(name, content)
    headers = {"Content-Type": content_type,
               "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    if xsrf:
        headers["X-Xsrftoken"] = xsrf
    request = urllib.request.Request(url, data=body, method="PUT", headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        answer.read()


def url_request(session_id, name):
    """`(request id, BackMsg)` asking the session for one file's upload URL."""
    request_id = uuid.uuid4().hex
    message = BackMsg()
    message.file_urls_request.request_id = request_id
    message.file_urls_request.session_id = session_id
    message.file_urls_request.file_names.append(name)
    return request_id, message


def uploader_state(file_urls, name, size):
    """The uploader's value once the file is sent: its name, size, id and URLs."""
    info = UploadedFileInfo(name=name, size=size, file_id=file_urls.file_id)
    info.file_urls.CopyFrom(file_urls)
    return FileUploaderState(uploaded_file_info=[info])
