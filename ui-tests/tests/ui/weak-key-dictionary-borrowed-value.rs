// A value that borrows could be dropped by its key's death after the
// borrow ended (for one, once the dictionary was leaked with mem::forget):
// WeakKeyDictionary's values are 'static.
use weakable::{Obj, WeakKeyDictionary, Weakable};

#[derive(Weakable)]
#[weakable(identity)]
struct Key;

fn main() {
    let key = Obj::new(Key);
    let name = String::from("borrowed");
    let d: WeakKeyDictionary<Key, &String> = WeakKeyDictionary::new();
    d.insert(&key, &name);
    std::mem::forget(d);
    drop(name);
    drop(key);
}
