// The names a user writes for an event bus of weak handlers taking their
// event by reference, and for a finalizer kept in a struct field, in both
// flavours: no lifetime, no closure type.
use weakable::{ByRef, Weakable};

struct Event;

#[derive(Weakable)]
struct Widget;

impl Widget {
    fn on_event(&self, _e: &Event) -> bool {
        true
    }
}

struct SyncBus {
    handlers: Vec<weakable::WeakMethod<Widget, ByRef<Event>, bool>>,
    _close: weakable::Finalizer<Widget>,
}

struct UnsyncBus {
    handlers: Vec<weakable::unsync::WeakMethod<Widget, ByRef<Event>, bool>>,
    _close: weakable::unsync::Finalizer<Widget>,
}

fn main() {
    let w = weakable::Obj::new(Widget);
    let bus = SyncBus {
        handlers: vec![weakable::WeakMethod::by_ref(&w, Widget::on_event)],
        _close: weakable::finalize_with(&w, || ()),
    };
    let u = weakable::unsync::Obj::new(Widget);
    let local = UnsyncBus {
        handlers: vec![weakable::unsync::WeakMethod::by_ref(&u, Widget::on_event)],
        _close: weakable::unsync::finalize_with(&u, || ()),
    };
    for _ in 0..2 {
        let event = Event;
        assert!(bus.handlers.iter().all(|h| h.upgrade().unwrap().call(&event)));
        assert!(local.handlers.iter().all(|h| h.upgrade().unwrap().call(&event)));
    }
}
