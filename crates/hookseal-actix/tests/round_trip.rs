//! Every sample, signed as its provider signs it, POSTed over real loopback
//! HTTP to an actix `HttpServer`: the handler receives exactly the typed event.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::any::Any;
use std::sync::mpsc;
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use hookseal_actix::Webhook;
use hookseal_core::{ConnectGain, Provider, Tocc, Toran, Tuco, Verifier, WebhookEvent, Zapito, samples};

type Received = (&'static str, Box<dyn Any + Send>);

/// Sends the typed event back to the test, then answers with its name.
async fn forward<P: Provider>(Webhook(event): Webhook<P>, tx: web::Data<mpsc::Sender<Received>>) -> HttpResponse {
    let name = event.name().to_owned();
    tx.send((P::NAME, Box::new(event))).expect("the test is listening");
    HttpResponse::Ok().body(name)
}

fn route<P: Provider>(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(format!("/webhooks/{}", P::NAME))
            .app_data(web::Data::new(Verifier::<P>::new(common::secret())))
            .route(web::post().to(forward::<P>)),
    );
}

#[actix_web::test]
async fn every_sample_arrives_as_its_typed_event() {
    let (tx, rx) = mpsc::channel::<Received>();
    let tx = web::Data::new(tx);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(tx.clone())
            .configure(route::<Tocc>)
            .configure(route::<Toran>)
            .configure(route::<Zapito>)
            .configure(route::<Tuco>)
            .configure(route::<ConnectGain>)
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    assert!(samples::all().len() >= 31, "every documented event has a sample");
    for sample in samples::all() {
        let mut request = client.post(format!("http://{addr}/webhooks/{}", sample.provider.name()));
        for (name, value) in common::provider_headers(sample) {
            request = request.header(name, value);
        }
        let response = request.body(sample.body).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{} {}", sample.provider, sample.name);
        assert_eq!(response.text().await.unwrap(), sample.event);

        // The handler sent the event before answering, so it is already there.
        let (provider, event) = rx.recv_timeout(Duration::from_secs(5)).expect("the handler forwarded the event");
        assert_eq!(provider, sample.provider.name());
        with_provider!(sample.provider, P => {
            let event = event.downcast::<<P as Provider>::Event>().expect("the provider's event type");
            let expected = <P as Provider>::Event::from_slice(sample.body).unwrap();
            assert_eq!(*event, expected, "{} {}", sample.provider, sample.name);
            assert_eq!(event.is_test(), sample.is_test);
        });
    }

    // A forged one over the same wire is refused and never reaches the handler.
    let sample = samples::test_event(hookseal_core::ProviderId::Toran);
    let response = client
        .post(format!("http://{addr}/webhooks/toran"))
        .header("X-Toran-Signature", common::sign::<Toran>(b"another body"))
        .body(sample.body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(response.text().await.unwrap(), "invalid signature");
    assert!(rx.try_recv().is_err(), "a refused request never reaches the handler");

    handle.stop(true).await;
}
