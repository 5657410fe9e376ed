"""The notebook example, executed by nbclient in a real kernel: the live
view is displayed as a widget and the frames are sent. (That the view in
JupyterLab shows the pixels exactly is tests/browser/jupyter.test.mjs.)"""

import re

import nbformat
from nbclient import NotebookClient

from conftest import REPO

WIDGET = "application/vnd.jupyter.widget-view+json"


def execute(notebook):
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    return notebook


def outputs(cell):
    return [output for output in cell.outputs if output.output_type != "stream" or output.name != "stderr"]


def test_example_notebook_shows_the_live_view():
    notebook = execute(nbformat.read(REPO / "examples/notebook.ipynb", as_version=4))
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for cell in code:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.outputs
    shown = outputs(code[0])
    assert [o.output_type for o in shown] == ["display_data"], "stream.show() displays the view once"
    assert WIDGET in shown[0].data
    assert outputs(code[1])[0].text.startswith("sent 120 frames; 0 input events")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\n", outputs(code[2])[0].text)


def test_a_stream_as_a_cells_value_is_its_live_view():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import framecast\nserver = framecast.serve(port=0)\nserver.stream('value')"),
        nbformat.v4.new_code_cell("server.close()"),
    ]
    (result,) = execute(notebook).cells[0].outputs
    assert result.output_type == "execute_result"
    assert WIDGET in result.data
    assert result.data["text/plain"] == "<framecast.Stream 'value'>"
