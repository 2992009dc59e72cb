import json, sys, glob, os
sys.path.insert(0,'.')
from ingest.readers import read, sniff
from ingest.layout import map_document
tot=0
for g in sorted(glob.glob('../shared/corpus/golden/*.json')):
    gold=json.load(open(g))
    path='../shared/corpus/'+gold['source']
    data=open(path,'rb').read()
    fmt=sniff(data,path)
    try: doc=read(data,fmt)
    except Exception as e: print(os.path.basename(path), 'READ FAIL', e); continue
    m,rows=map_document(doc, gold['report_year'])
    got={(c.table_id,c.row_key,c.col_key):c.parsed for c in m.cells}
    exact=wrong=missing=0; errs=[]
    for t in ('t2','t3','t4'):
        for k,v in gold[t].items():
            r,c=k.split('|'); p=got.pop((t,r,c),None)
            if p is None: missing+=1; errs.append(('missing',t,k,v)); continue
            gv = None if p.is_blank else p.value
            if (v is None and p.is_blank) or (v is not None and p.value is not None and abs(p.value-v)<1e-9): exact+=1
            else: wrong+=1; errs.append(('wrong',t,k,v,p.raw_text))
    unk={tuple(u.split('|')) for u in gold.get('unknown',[])}
    invented=[(k,p.raw_text) for k,p in got.items() if k not in unk and p.value]
    print(os.path.basename(path), fmt, m.layouts, 'exact',exact,'wrong',wrong,'missing',missing,'invented',len(invented), m.notes[:3])
    for e in errs[:8]: print('   ',e)
    for e in invented[:5]: print('   inv',e)
