"""traces/python/tools/spatten_keep_counts.py on small files worked by hand: one in the column
layout of SpAtten's published workload CSVs (the values are made up here) and one as
`lrpsim trace heads` writes it."""

import importlib.util
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "tools", "spatten_keep_counts.py")
spec = importlib.util.spec_from_file_location("spatten_keep_counts", TOOL)
skc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(skc)

SPATTEN_HEADER = ("iteration_id,layer_id,head_id,embedding_length_D,sentence_length_L,key_fetch_num,quant_key_bit,"
                  "quant_query_bit,auto_requant_thres,if_requant,auto_requant_incre,value_fetch_num,quant_value_bit,"
                  "if_accumulate_importance,if_rescale_previous_importance,if_topk,topk")

# Layer 0: two head-steps, one fetches low bits; 100 + 50 keys, 20 + 10 values (floor(0.2 k)).
# Layer 1: one head-step, 40 keys of 100 after the cascade, 9 values (floor would be 8).
SPATTEN_CSV = "\n".join([
    SPATTEN_HEADER,
    "0,0,0,64.0,100,100,6,16,0.05,True,4,20,6,True,False,False,-1",
    "0,0,1,64.0,100,50,6,16,0.05,False,4,10,6,True,False,False,-1",
    "0,1,0,64.0,100,40,6,16,0.05,False,4,9,6,True,False,False,-1",
    "configs/some-config.yml,,,,,,,,,,,,,,,,",
]) + "\n"

OURS_CSV = "\n".join([
    "policy,input,layer,head,rows,keys,survivors,full_rows,last_keys,last_survivors,last_full",
    "spatten,0,0,0,4,10,4,1,4,1,true",   # last row: ceil(0.8) = 1
    "spatten,0,0,1,4,10,4,3,4,1,false",
    "spatten,0,1,0,2,20,4,0,10,3,false",  # last row: k_row of 10 is 2, not 3
]) + "\n"


def test_tables_worked_by_hand(tmp_path):
    sp, ours, out = tmp_path / "s.csv", tmp_path / "o.csv", tmp_path / "k.md"
    sp.write_text(SPATTEN_CSV)
    ours.write_text(OURS_CSV)
    assert skc.main(["--spatten", str(sp), "--ours", f"w={ours}", "--out", str(out)]) == 0
    md = out.read_text()
    # SpAtten: layer 0 low bits 1/2, values/keys 30/150, keys/length 150/200; layer 1 9/40, 40/100.
    assert "| 0 | 2 | 0.500 | 0.2000 | 0.750 |" in md
    assert "| 1 | 1 | 0.000 | 0.2250 | 0.400 |" in md
    assert "| all | 3 | 0.333 | 0.2053 | |" in md
    assert "value_fetch_num = floor(0.2 x key_fetch_num) on 2 of 3 lines." in md
    # Ours: layer 0 full rows 4/8, last rows 1/2, survivors 8/20, last 2/8; layer 1 0, 0, 4/20, 3/10;
    # all: 4/10, 1/3, 12/40, 5/18.
    assert "| 0 | 8 | 0.500 | 0.500 | 0.4000 | 0.2500 |" in md
    assert "| 1 | 2 | 0.000 | 0.000 | 0.2000 | 0.3000 |" in md
    assert "| all | 10 | 0.400 | 0.333 | 0.3000 | 0.2778 |" in md
    assert "on 2 of 3 heads." in md
    assert oct(os.stat(out).st_mode & 0o777) == oct(0o644 & ~current_umask())


def current_umask():
    m = os.umask(0)
    os.umask(m)
    return m


@pytest.mark.parametrize("which,text,want", [
    ("spatten", "a,b\n1,2\n", "no data lines"),
    ("spatten", "iteration_id,layer_id\n0,0\n", "missing columns"),
    ("ours", OURS_CSV.replace("spatten,", "sanger,"), "expected spatten"),
    ("ours", "policy,layer\nspatten,0\n", "missing columns"),
])
def test_bad_input(tmp_path, capsys, which, text, want):
    sp, ours, out = tmp_path / "s.csv", tmp_path / "o.csv", tmp_path / "k.md"
    sp.write_text(SPATTEN_CSV)
    ours.write_text(OURS_CSV)
    (sp if which == "spatten" else ours).write_text(text)
    assert skc.main(["--spatten", str(sp), "--ours", f"w={ours}", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert want in err and str(sp if which == "spatten" else ours) in err
    assert not out.exists()


def test_ours_needs_a_name(tmp_path, capsys):
    sp = tmp_path / "s.csv"
    sp.write_text(SPATTEN_CSV)
    assert skc.main(["--spatten", str(sp), "--ours", "no-equals-sign.csv"]) == 2
    assert "expected NAME=FILE" in capsys.readouterr().err
